#include "server_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

namespace mytsdb::app {

void AddProcessMetrics(telemetry::Registry* registry) {
  double start_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  registry->AddCollector([start_time](telemetry::TextWriter* w) {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    double cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                 (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    w->Family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    w->Sample("process_cpu_seconds_total", {}, cpu);
    long rss_pages = 0, size_pages = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(f, "%ld %ld", &size_pages, &rss_pages) != 2) rss_pages = size_pages = 0;
      std::fclose(f);
    }
    long page = sysconf(_SC_PAGESIZE);
    w->Family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    w->Sample("process_resident_memory_bytes", {}, double(rss_pages) * page);
    w->Family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    w->Sample("process_virtual_memory_bytes", {}, double(size_pages) * page);
    w->Family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.");
    w->Sample("process_start_time_seconds", {}, start_time);
  });
}

void AddStorageMetrics(telemetry::Registry* registry,
                       std::atomic<storage::Storage*>* storage_ptr, uint64_t max_series,
                       uint64_t max_series_per_metric) {
  registry->AddCollector([=](telemetry::TextWriter* w) {
    storage::Storage* storage = storage_ptr->load();
    if (storage == nullptr) return;
    head::HeadStats st = storage->head_stats();
    wal::Stats ws = storage->wal_stats();
    cold::ColdStats cs = storage->cold_stats();
    auto gauge = [w](const char* name, const char* help, double v) {
      w->Family(name, "gauge", help);
      w->Sample(name, {}, v);
    };
    auto counter = [w](const char* name, const char* help, double v) {
      w->Family(name, "counter", help);
      w->Sample(name, {}, v);
    };
    gauge("mytsdb_head_series", "Active series in the head (hot tier).", st.num_series);
    gauge("mytsdb_head_chunks", "XOR chunks in the head.", st.num_chunks);
    gauge("mytsdb_storage_max_series", "--storage.max-series (0: no limit).", max_series);
    gauge("mytsdb_storage_max_series_per_metric", "--storage.max-series-per-metric (0: no limit).",
          max_series_per_metric);
    gauge("mytsdb_head_chunk_bytes", "Bytes of compressed samples in head chunks.",
          st.chunk_bytes);
    gauge("mytsdb_head_min_time_ms", "Oldest sample timestamp in the head (ms).", st.min_time);
    gauge("mytsdb_head_max_time_ms", "Newest sample timestamp in the head (ms).", st.max_time);
    counter("mytsdb_ingest_samples_total", "Samples appended to the head.",
            st.samples_appended_total);
    counter("mytsdb_ingest_series_created_total", "Series created in the head.",
            st.series_created_total);
    w->Family("mytsdb_ingest_samples_rejected_total", "counter",
              "Samples refused by the head, by reason.");
    w->Sample("mytsdb_ingest_samples_rejected_total", {{"reason", "out_of_order"}},
              st.out_of_order_total);
    w->Sample("mytsdb_ingest_samples_rejected_total", {{"reason", "too_old"}}, st.too_old_total);
    w->Sample("mytsdb_ingest_samples_rejected_total", {{"reason", "duplicate"}},
              st.duplicates_total);
    w->Sample("mytsdb_ingest_samples_rejected_total", {{"reason", "series_limit"}},
              st.series_limit_total);
    w->Sample("mytsdb_ingest_samples_rejected_total", {{"reason", "series_per_metric_limit"}},
              st.series_per_metric_limit_total);
    w->Sample("mytsdb_ingest_samples_rejected_total", {{"reason", "too_far_in_future"}},
              storage->refused_future_samples());
    w->Sample("mytsdb_ingest_samples_rejected_total", {{"reason", "beyond_retention"}},
              storage->refused_retention_samples());
    counter("mytsdb_wal_bytes_written_total", "Bytes written to the write-ahead log.",
            ws.bytes_written);
    counter("mytsdb_wal_fsyncs_total", "fsync calls on WAL segments.", ws.fsyncs);
    counter("mytsdb_wal_records_written_total", "Records written to the write-ahead log.",
            ws.records_written);
    counter("mytsdb_wal_corruptions_repaired_total",
            "Torn or corrupt WAL tails cut at start-up.", ws.corruptions_repaired);
    gauge("mytsdb_cold_table_version", "Version of the cold tier's Delta table.", cs.version);
    gauge("mytsdb_cold_files", "Parquet files in the cold tier's current snapshot.", cs.files);
    gauge("mytsdb_cold_bytes", "Bytes of the cold tier's Parquet files.", cs.bytes);
    gauge("mytsdb_cold_samples", "Samples (rows) in the cold tier.", cs.rows);
    gauge("mytsdb_cold_catalog_series", "Series known to the cold tier's catalog.",
          cs.catalog_series);
    counter("mytsdb_cold_sample_cache_hits_total",
            "Series-file reads of rule evaluations answered from the cold sample cache.",
            cs.sample_cache.hits);
    counter("mytsdb_cold_sample_cache_misses_total",
            "Series-file reads of rule evaluations that decoded the Parquet file.", cs.sample_cache.misses);
    counter("mytsdb_cold_sample_cache_evictions_total", "Entries evicted from the cold sample cache.",
            cs.sample_cache.evictions);
    gauge("mytsdb_cold_sample_cache_bytes", "Memory held by the cold sample cache.", cs.sample_cache.bytes);
    gauge("mytsdb_cold_sample_cache_capacity_bytes", "--rules.cold-cache-size.",
          cs.sample_cache.capacity_bytes);
    gauge("mytsdb_cold_watermark_ms",
          "Samples older than this have been persisted from the head (ms).",
          cs.watermark == INT64_MIN ? 0 : cs.watermark);
    counter("mytsdb_cold_backfilled_samples_total",
            "Samples older than the head accepts, written to the cold tier.",
            storage->backfilled_samples());
    counter("mytsdb_cold_backfill_requests_refused_total",
            "Backfill requests answered 503 because too many were in flight or the cold tier "
            "was busy for too long.",
            storage->backfill_requests_refused());
    gauge("mytsdb_wal_failed",
          "1 once a WAL fsync failed: appends are refused until a restart (see the log).",
          storage->wal_failure().ok() ? 0 : 1);
    gauge("mytsdb_cold_commits_blocked",
          "1 once a cold-tier commit's durability is unknown: no commits until a restart.",
          storage->cold_failure().ok() ? 0 : 1);
    counter("mytsdb_cold_maintenance_failures_total",
            "Background compaction/retention rounds that failed (retried).",
            storage->maintenance_failures());
    counter("mytsdb_cold_compaction_pauses_total",
            "Times a running compaction paused, between batches of series, for a persist of the head.",
            storage->compaction_pauses());
    counter("mytsdb_cold_persist_failures_total",
            "Background persists of a head block that failed (retried).",
            storage->persist_failures());
    counter("mytsdb_cold_manifest_failures_total",
            "Live-file manifests (parquet/_mytsdb_files.json) not written after a commit; the "
            "previous one stays until the next commit.",
            cs.manifest_failures);
  });
}

void AddAlertHistoryMetrics(telemetry::Registry* registry, std::atomic<history::AlertHistory*>* history_ptr) {
  registry->AddCollector([=](telemetry::TextWriter* w) {
    history::AlertHistory* history = history_ptr->load();
    if (history == nullptr) return;
    const history::AlertHistoryStats st = history->stats();
    auto metric = [w](const char* name, const char* type, const char* help, double v) {
      w->Family(name, type, help);
      w->Sample(name, {}, v);
    };
    metric("mytsdb_alert_history_events_written_total", "counter",
           "Alert state changes and notification attempts written to the alert history.", st.events_written);
    metric("mytsdb_alert_history_events_dropped_total", "counter",
           "Events dropped because too many waited to be written.", st.events_dropped);
    metric("mytsdb_alert_history_flush_failures_total", "counter", "Failed writes of the alert history.",
           st.flush_failures);
    metric("mytsdb_alert_history_events_queued", "gauge", "Events waiting to be written.", st.queued);
    metric("mytsdb_alert_history_table_version", "gauge", "Version of the alert history's Delta table.", st.version);
    metric("mytsdb_alert_history_files", "gauge", "Parquet files of the alert history.", st.files);
  });
}

}  // namespace mytsdb::app
