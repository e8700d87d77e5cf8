#include "config_flags.h"

#include <re2/re2.h>

#include "model/duration.h"
#include "promconfig/secret_keys.h"

namespace mytsdb::app {
namespace {

std::string Duration(int64_t ms) { return model::FormatDuration(ms); }

std::string Bool(bool b) { return b ? "true" : "false"; }

std::string Fsync(wal::FsyncMode mode) {
  switch (mode) {
    case wal::FsyncMode::kAlways: return "always";
    case wal::FsyncMode::kInterval: return "interval";
    case wal::FsyncMode::kNever: return "never";
  }
  return "";
}

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  static constexpr std::pair<uint64_t, const char*> kUnits[] = {
      {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
  for (const auto& [size, unit] : kUnits) {
    if (bytes != 0 && bytes % size == 0) return std::to_string(bytes / size) + unit;
  }
  return std::to_string(bytes) + "B";
}

std::vector<std::pair<std::string, std::string>> EffectiveFlags(const Config& c,
                                                                 const std::string& config_file) {
  return {
      {"config", config_file},
      {"data-dir", c.data_dir},
      {"listen", c.listen},
      {"log-level", c.log_level},
      {"wal-fsync", Fsync(c.wal_fsync)},
      {"wal-fsync-interval", Duration(c.wal_fsync_interval_ms)},
      {"wal-segment-size", FormatBytes(c.wal_segment_bytes)},
      {"block-duration", Duration(c.block_duration_ms)},
      {"max-block-duration", Duration(c.max_block_duration_ms)},
      {"retention", Duration(c.retention_ms)},
      {"retention-size", FormatBytes(c.retention_bytes)},
      {"storage.cold-url", c.cold_url},
      {"storage.s3.endpoint", c.s3.endpoint},
      {"storage.s3.region", c.s3.region},
      {"cluster.writer", c.cluster_writer},
      {"cluster.compactor", c.cluster_compactor ? "true" : "false"},
      {"read-only", c.read_only ? "true" : "false"},
      {"cluster.writers", JoinWriterUrls(c.cluster_writers)},
      {"cluster.writer-timeout", Duration(c.cluster_writer_timeout_ms)},
      {"storage.max-series", std::to_string(c.max_series)},
      {"storage.max-series-per-metric", std::to_string(c.max_series_per_metric)},
      {"ingest.max-future", Duration(c.max_future_ms)},
      {"maintenance-interval", Duration(c.persist_check_interval_ms)},
      {"max-write-body-size", FormatBytes(c.max_write_body_bytes)},
      {"max-write-decompressed-size", FormatBytes(c.max_write_decompressed_bytes)},
      {"name-validation", c.name_validation},
      {"http-threads", std::to_string(c.http_threads)},
      {"web.max-connections", std::to_string(c.max_connections)},
      {"web.read-timeout", Duration(c.read_timeout_ms)},
      {"web.enable-lifecycle", Bool(c.enable_lifecycle)},
      {"web.enable-admin-api", Bool(c.enable_admin_api)},
      {"web.config.file", c.web_config_file},
      {"web.external-url", c.external_url},
      {"web.route-prefix", c.route_prefix},
      {"web.ui-dir", c.web_ui_dir},
      {"query.max-concurrency", std::to_string(c.query_max_concurrency)},
      {"query.threads", std::to_string(c.query_threads)},
      {"query.timeout", Duration(c.query_timeout_ms)},
      {"query.lookback-delta", Duration(c.query_lookback_ms)},
      {"query.max-samples", std::to_string(c.query_max_samples)},
      {"sql.memory-limit", FormatBytes(c.sql_memory_limit_bytes)},
      {"sql.threads", std::to_string(c.sql_threads)},
      {"sql.timeout", Duration(c.sql_timeout_ms)},
      {"pg.listen", c.pg_listen},
      {"pg.max-connections", std::to_string(c.pg_max_connections)},
      {"rules.alert.for-outage-tolerance", Duration(c.for_outage_tolerance_ms)},
      {"rules.alert.for-grace-period", Duration(c.for_grace_period_ms)},
      {"rules.alert.resend-delay", Duration(c.resend_delay_ms)},
      {"rules.cold-cache-size", FormatBytes(c.rules_cold_cache_bytes)},
      {"alert-history.flush-interval", Duration(c.alert_history_flush_interval_ms)},
      {"strict-prometheus", Bool(c.strict_prometheus)},
      {"alertmanager.config.file", c.alertmanager_config_file},
      {"alertmanager.notification-queue-capacity", std::to_string(c.notification_queue_capacity)},
      {"search.model-dir", c.search_model_dir},
      {"search.refresh-interval", Duration(c.search_refresh_interval_ms)},
      {"search.embeddings-url", c.search_embeddings_url},
      {"search.embeddings-model", c.search_embeddings_model},
      // The key's path, never its contents.
      {"search.embeddings-api-key-file", c.search_embeddings_api_key_file},
  };
}

std::string RedactSecrets(const std::string& config_text) {
  // `key: value` on one line (the key perhaps quoted, perhaps a list
  // item's first), for keys promconfig::IsSecretKey names.
  static const RE2 kKeyValueLine(R"re(^(\s*(?:-\s+)?["']?([A-Za-z_]+)["']?\s*:[ \t]*)\S.*$)re");
  std::string out;
  out.reserve(config_text.size());
  size_t start = 0;
  while (start < config_text.size()) {
    size_t end = config_text.find('\n', start);
    if (end == std::string::npos) end = config_text.size();
    std::string line = config_text.substr(start, end - start);
    std::string prefix, key;
    if (RE2::FullMatch(line, kKeyValueLine, &prefix, &key) && promconfig::IsSecretKey(key)) {
      line = prefix + "<secret>";
    }
    out += line;
    if (end < config_text.size()) out += '\n';
    start = end + 1;
  }
  return out;
}

}  // namespace mytsdb::app
