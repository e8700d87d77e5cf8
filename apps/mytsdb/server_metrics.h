// The server's own metrics that are not a library's: the process, the
// storage (head, WAL, cold tier), the alert history, for /metrics.
#pragma once

#include <atomic>
#include <cstdint>

#include "history/alert_history.h"
#include "storage/storage.h"
#include "telemetry/metrics.h"

namespace mytsdb::app {

// process_* as Prometheus's client libraries name them.
void AddProcessMetrics(telemetry::Registry* registry);
// mytsdb_head_*, mytsdb_wal_*, mytsdb_cold_*, mytsdb_ingest_* of the
// storage `storage_ptr` points to (none while it is null).
void AddStorageMetrics(telemetry::Registry* registry, std::atomic<storage::Storage*>* storage_ptr,
                       uint64_t max_series, uint64_t max_series_per_metric);
// mytsdb_alert_history_* of the history `history_ptr` points to.
void AddAlertHistoryMetrics(telemetry::Registry* registry, std::atomic<history::AlertHistory*>* history_ptr);

}  // namespace mytsdb::app
