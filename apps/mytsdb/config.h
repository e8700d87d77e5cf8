// Configuration of `mytsdb serve`: embedded defaults, overridden by an
// optional YAML file (--config), overridden by command-line flags.
// docs/OPERATIONS.md lists every key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "http/server.h"
#include "relabel/relabel.h"
#include "scrape/scrape_config.h"
#include "wal/wal.h"

namespace mytsdb::app {

// One entry of Prometheus's alerting.alertmanagers.
struct AlertmanagerConfig {
  std::string scheme = "http";
  std::string path_prefix = "/";
  int64_t timeout_ms = 10'000;
  std::vector<std::string> targets;  // static_configs' HOST:PORT
};

// The cold tier on object storage (docs/SCALING.md): empty fields are read
// from the AWS environment variables.
struct ObjectStoreConfig {
  std::string endpoint;           // storage.s3.endpoint, --storage.s3.endpoint
  std::string region;             // storage.s3.region, --storage.s3.region
  std::string access_key_id;      // storage.s3.access_key_id (config file only)
  std::string secret_access_key;  // storage.s3.secret_access_key (config file only)
  int64_t request_timeout_ms = 30'000;  // storage.s3.request_timeout
  int max_attempts = 5;                 // storage.s3.max_attempts
};

struct Config {
  std::string data_dir = "./data";
  // Where the cold tier's table lives: empty for DATA/parquet, or an
  // s3://bucket/prefix URL (--storage.cold-url).
  std::string cold_url;
  ObjectStoreConfig s3;
  // This server's name among several writers of one table (--cluster.writer;
  // empty: the only writer).
  std::string cluster_writer;
  // Whether this writer stands for the shared table's compactor
  // (--cluster.compactor; needs cluster_writer).
  bool cluster_compactor = false;
  // A read-only query node over the shared table (--read-only): nothing
  // written, the newest samples asked of cluster_writers (base URLs,
  // --cluster.writers) over remote read, each within the timeout.
  bool read_only = false;
  std::vector<std::string> cluster_writers;
  int64_t cluster_writer_timeout_ms = 30'000;
  std::string listen = "127.0.0.1:9663";
  std::string log_level = "info";
  wal::FsyncMode wal_fsync = wal::FsyncMode::kInterval;
  int64_t wal_fsync_interval_ms = 1000;
  uint64_t wal_segment_bytes = 128ull << 20;
  int64_t block_duration_ms = 2 * 3600 * 1000;
  int64_t retention_ms = 15LL * 24 * 3600 * 1000;
  // Largest time window compaction merges files into; 0: a tenth of the
  // retention (as Prometheus), which bounds how long retention keeps a
  // sample past its age to 10%.
  int64_t max_block_duration_ms = 0;
  int64_t max_future_ms = 10 * 60 * 1000;  // samples further ahead of the clock are refused
  uint64_t retention_bytes = 0;  // 0: no size limit
  uint64_t max_series = 0;             // active series in the head; 0: no limit
  uint64_t max_series_per_metric = 0;  // 0: no limit
  int64_t persist_check_interval_ms = 30 * 1000;
  uint64_t max_write_body_bytes = 32ull << 20;
  uint64_t max_write_decompressed_bytes = 256ull << 20;
  std::string name_validation = "utf8";  // utf8 | legacy
  int http_threads = 4;            // workers for remote-write requests
  int max_connections = 512;       // --web.max-connections, as Prometheus
  int64_t read_timeout_ms = 60'000;  // one whole request must arrive within this
  int query_max_concurrency = 20;  // as Prometheus
  int query_threads = 0;           // threads evaluating queries; 0: one per CPU
  bool enable_lifecycle = false;   // /-/reload, /-/quit
  std::string web_config_file;     // TLS and basic auth (exporter-toolkit format)
  bool enable_admin_api = false;  // /api/v1/admin/* (as Prometheus's --web.enable-admin-api)
  // PromQL, with Prometheus's defaults.
  int64_t query_timeout_ms = 2 * 60 * 1000;
  int64_t query_lookback_ms = 5 * 60 * 1000;
  int64_t query_max_samples = 50'000'000;
  // SQL (docs/SQL.md): for all SQL queries together.
  uint64_t sql_memory_limit_bytes = 0;  // 0: a quarter of the machine's memory
  int sql_threads = 0;                  // 0: one a core
  int64_t sql_timeout_ms = 2 * 60 * 1000;
  // The PostgreSQL wire protocol (docs/SQL.md): HOST:PORT, empty for off.
  std::string pg_listen;
  int pg_max_connections = 64;
  // Prometheus's own sections (docs/RULES.md): `global` and `rule_files`.
  int64_t evaluation_interval_ms = 60'000;
  int64_t rule_query_offset_ms = 0;
  std::map<std::string, std::string> external_labels;
  // Globs; relative ones are relative to the config file's directory.
  std::vector<std::string> rule_files;
  std::string rule_files_base;  // the config file's directory
  std::string web_ui_dir;    // --web.ui-dir (empty: build/ui when it holds a UI)
  std::string external_url;  // --web.external-url
  std::string route_prefix;  // --web.route-prefix (default: external_url's path)
  // Restoring alerts after a restart, as Prometheus's flags.
  int64_t for_outage_tolerance_ms = 3'600'000;  // --rules.alert.for-outage-tolerance
  int64_t for_grace_period_ms = 600'000;        // --rules.alert.for-grace-period
  int64_t resend_delay_ms = 60'000;             // --rules.alert.resend-delay
  // Cold-tier samples kept between rule evaluations (trend rules' windows
  // into the Parquet tier; cold/sample_cache.h). 0: none.
  uint64_t rules_cold_cache_bytes = 256ull << 20;  // --rules.cold-cache-size
  // How often alert state changes are written to DATA/alerts (the alert
  // history; at most this much of it is lost in a crash).
  int64_t alert_history_flush_interval_ms = 10'000;  // --alert-history.flush-interval
  // Refuse what Prometheus would not load: rules with `sql:`
  // (--strict-prometheus).
  bool strict_prometheus = false;
  // Prometheus's `alerting` section: where alerts go.
  std::vector<AlertmanagerConfig> alertmanagers;
  // Applied to every alert before it is sent (Prometheus's key).
  std::vector<relabel::Config> alert_relabel_configs;
  // Prometheus's scraping (docs/SCRAPING.md): the scrape keys of `global`
  // and `scrape_configs` (with those of `scrape_config_files`), checked.
  scrape::ScrapeGlobals scrape_globals;
  std::vector<scrape::ScrapeConfig> scrape_configs;
  size_t notification_queue_capacity = 10'000;  // --alertmanager.notification-queue-capacity
  std::string alertmanager_config_file;          // --alertmanager.config.file: the built-in Alertmanager
  // Semantic search (docs/SEARCH.md): the model's directory (empty: the
  // one scripts/setup.sh installs) and how often the index catches up.
  std::string search_model_dir;                  // --search.model-dir
  int64_t search_refresh_interval_ms = 15'000;   // --search.refresh-interval
  // An OpenAI-compatible embeddings endpoint instead of the model: its URL,
  // the model name it is sent, a file with its API key (optional).
  std::string search_embeddings_url;             // --search.embeddings-url
  std::string search_embeddings_model;           // --search.embeddings-model
  std::string search_embeddings_api_key_file;    // --search.embeddings-api-key-file
};

// Loads a YAML config file over `config`. Unknown keys are errors (a typo
// must not be silently ignored).
Status LoadConfigFile(const std::string& path, Config* config);

// "1s", "500ms", "2h", "1d" -> milliseconds.
Result<int64_t> ParseDuration(std::string_view s);
// "1048576", "32MiB", "1GB" -> bytes.
Result<uint64_t> ParseBytes(std::string_view s);
Result<wal::FsyncMode> ParseFsyncMode(std::string_view s);
// "host:port" -> host, port.
Status ParseListen(std::string_view s, std::string* host, int* port);
// --cluster.writers: URLs separated by commas (spaces around them ignored).
std::vector<std::string> SplitWriterUrls(std::string_view s);
std::string JoinWriterUrls(const std::vector<std::string>& urls);

}  // namespace mytsdb::app
