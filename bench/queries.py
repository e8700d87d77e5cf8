"""Dashboard-style PromQL range queries over the `node` and `churn` workloads.

Chosen to look like what Grafana's node-exporter and service dashboards send:
rates of counters summed by label, gauges, ratios, quantiles from classic
histograms, and top-k. Evaluation times fall between sample timestamps (the
workload's samples sit on multiples of 15 s; ranges start 7.5 s off them) so
that Prometheus 2.x's closed and 3.x's left-open range selectors agree.
"""

NODE_QUERIES = [
    ("cpu_busy_by_instance",
     'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))'),
    ("cpu_by_mode", 'sum by (mode) (rate(node_cpu_seconds_total[5m]))'),
    ("cpu_one_host", 'rate(node_cpu_seconds_total{instance="host-1:9100"}[5m])'),
    ("network_receive",
     'sum by (instance) (rate(node_network_receive_bytes_total{device!="lo"}[5m]))'),
    ("network_errors", 'sum(increase(node_network_receive_errs_total[10m]))'),
    ("disk_io_util", 'avg by (device) (rate(node_disk_io_time_seconds_total[5m]))'),
    ("memory_used_ratio",
     '1 - avg by (instance) (node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)'),
    ("filesystem_free_min",
     'min by (mountpoint) (node_filesystem_avail_bytes / node_filesystem_size_bytes)'),
    ("load1_topk", 'topk(5, node_load1)'),
    ("latency_p99",
     'histogram_quantile(0.99, sum by (le, handler) '
     '(rate(http_request_duration_seconds_bucket[5m])))'),
    ("latency_avg",
     'sum(rate(http_request_duration_seconds_sum[5m])) / '
     'sum(rate(http_request_duration_seconds_count[5m]))'),
    ("series_count", 'count(node_load1)'),
]

CHURN_QUERIES = NODE_QUERIES + [
    ("pod_cpu_by_customer_top",
     'topk(10, sum by (customer_id) (rate(container_cpu_usage_seconds_total[5m])))'),
    ("pod_memory_by_namespace", 'sum by (namespace) (container_memory_working_set_bytes)'),
]


def queries_for(workload):
    return CHURN_QUERIES if workload == "churn" else NODE_QUERIES


# topk/bottomk choose among equal values with a binary heap whose algorithm
# changed between Prometheus 2.x (the Debian package: pop and push) and 3.x
# (which MyTSDB follows: replace the root). With two-decimal gauges over
# hundreds of hosts ties happen, so for these queries the result check
# compares the selected values at every step, not which tied series won.
TIE_SENSITIVE = {"load1_topk", "pod_cpu_by_customer_top"}
