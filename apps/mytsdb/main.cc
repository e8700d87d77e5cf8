// mytsdb: the server binary. A thin shell over the libraries: flags and
// config, the data-directory lock, signal handling, and wiring.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "alertmanager_command.h"
#include "alertmanager_server.h"
#include "embedded_alertmanager.h"
#include "allocator_metrics.h"
#include "config_flags.h"
#include "server_metrics.h"
#include "config.h"
#include "check_command.h"
#include "rules_service.h"
#include "scrape_service.h"
#include "history/alert_history.h"
#include "search/encoder.h"
#include "search_command.h"
#include "sql_command.h"
#include "storage/storage.h"
#include "cold_location.h"
#include "http/server.h"
#include "http/basic_auth.h"
#include "http/tls.h"
#include "http/ui_files.h"
#include "http/web_config.h"
#include "io/file_system.h"
#include "io/lock_file.h"
#include "model/duration.h"
#include "pgwire/server.h"
#include "remote/writer_reader.h"
#include "sql/engine.h"
#include "telemetry/metrics.h"

namespace mytsdb::app {
namespace {

constexpr const char* kVersion = "0.1.0";

int Fail(const std::string& message) {
  std::fprintf(stderr, "mytsdb: error: %s\n", message.c_str());
  return 1;
}

// --web.route-prefix, or the path of --web.external-url, as Prometheus
// takes it: "/prefix" without a trailing slash, "" for the root.
std::string RoutePrefix(const Config& config) {
  std::string prefix = config.route_prefix;
  if (prefix.empty() && !config.external_url.empty()) {
    const size_t host = config.external_url.find("://");
    const size_t path = config.external_url.find('/', host == std::string::npos ? 0 : host + 3);
    if (path != std::string::npos) prefix = config.external_url.substr(path);
  }
  if (!prefix.empty() && prefix.front() != '/') prefix.insert(prefix.begin(), '/');
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return prefix;
}

// The alert history's table, DATA/alerts (docs/FORMAT.md), with the
// samples' retention.
Result<std::unique_ptr<history::AlertHistory>> OpenAlertHistory(const Config& config) {
  history::AlertHistoryOptions options;
  options.dir = io::JoinPath(config.data_dir, "alerts");
  options.retention_ms = config.retention_ms;
  options.flush_interval = std::chrono::milliseconds(config.alert_history_flush_interval_ms);
  return history::AlertHistory::Open(options);
}

// What a read-only node cannot do, as one line; OK otherwise.
Status ReadOnlyConflicts(const Config& config) {
  if (!config.read_only) return Status::OK();
  if (!config.rule_files.empty()) {
    return Status::InvalidArgument("a --read-only node evaluates no rules (their results are written): "
                                   "remove rule_files, or evaluate them on a writer");
  }
  if (!config.scrape_configs.empty()) {
    return Status::InvalidArgument("a --read-only node scrapes nothing (it writes nothing): remove "
                                   "scrape_configs, or scrape with a writer");
  }
  return Status::OK();
}

storage::StorageOptions StorageOptionsFrom(const Config& config, const ColdLocation& cold,
                                           const storage::RecentSamplesSource* writers = nullptr) {
  storage::StorageOptions options;
  options.recent = writers;
  options.data_dir = config.data_dir;
  UseColdLocation(cold, &options);
  options.cold_writer = config.cluster_writer;
  options.cold_compactor = config.cluster_compactor;
  options.read_only = config.read_only;
  options.head.wal.fsync_mode = config.wal_fsync;
  options.head.wal.fsync_interval = std::chrono::milliseconds(config.wal_fsync_interval_ms);
  options.head.wal.segment_size = config.wal_segment_bytes;
  options.head.chunk_range_ms = config.block_duration_ms;
  options.head.max_series = config.max_series;
  options.head.max_series_per_metric = config.max_series_per_metric;
  options.retention_ms = config.retention_ms;
  options.compaction.max_window_ms = config.max_block_duration_ms > 0
                                         ? config.max_block_duration_ms
                                         : config.retention_ms / 10;
  options.max_future_ms = config.max_future_ms;
  options.retention_bytes = config.retention_bytes;
  // Filled only by rule evaluation, so it costs nothing without rules.
  options.cold_sample_cache_bytes = config.rules_cold_cache_bytes;
  options.persist_check_interval = std::chrono::milliseconds(config.persist_check_interval_ms);
  return options;
}

// `mytsdb flush`: persists the whole head of a stopped server.
int Flush(const Config& config) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (!std::filesystem::is_directory(config.data_dir)) {
    return Fail("data directory " + config.data_dir + " does not exist");
  }
  auto lock = io::LockFile::Acquire(config.data_dir);
  if (!lock.ok()) return Fail(lock.status().message());
  auto cold = OpenColdLocation(config);
  if (!cold.ok()) return Fail("cannot open the cold tier: " + cold.status().message());
  storage::StorageOptions options = StorageOptionsFrom(config, *cold);
  options.persist_check_interval = std::chrono::milliseconds(0);
  auto storage = storage::Storage::Open(options);
  if (!storage.ok()) return Fail("cannot open the storage: " + storage.status().ToString());
  Status st = (*storage)->Flush();
  if (!st.ok()) return Fail("flush failed: " + st.ToString());
  st = (*storage)->Close();
  if (!st.ok()) return Fail("closing the storage: " + st.ToString());
  cold::ColdStats cs = (*storage)->cold_stats();
  std::printf("flushed: cold tier at version %lld, %llu files, %llu samples\n",
              static_cast<long long>(cs.version), static_cast<unsigned long long>(cs.files),
              static_cast<unsigned long long>(cs.rows));
  return 0;
}

// The PostgreSQL protocol's listener, with TLS and users from the web
// config file (re-read when it changes, as for HTTP).
Result<std::unique_ptr<pgwire::PgServer>> StartPgServer(const Config& config, const sql::SqlEngine* engine) {
  pgwire::PgServerOptions options;
  Status st = ParseListen(config.pg_listen, &options.host, &options.port);
  if (!st.ok()) return st.WithContext("--pg.listen");
  options.max_connections = config.pg_max_connections;
  options.version = kVersion;
  if (!config.web_config_file.empty()) {
    auto watcher = http::WebConfigWatcher::Open(config.web_config_file);
    if (!watcher.ok()) return watcher.status();
    std::shared_ptr<http::WebConfigWatcher> web(std::move(*watcher));
    struct TlsCache {
      std::mutex mu;
      std::shared_ptr<const http::WebConfig> config;
      std::shared_ptr<boost::asio::ssl::context> context;
    };
    auto cache = std::make_shared<TlsCache>();
    options.tls = [web, cache]() -> std::shared_ptr<SSL_CTX> {
      std::shared_ptr<const http::WebConfig> now = web->Current();
      std::lock_guard<std::mutex> lock(cache->mu);
      if (now != cache->config) {
        cache->config = now;
        cache->context.reset();
        if (now->tls) {
          auto made = http::MakeTlsContext(*now->tls);
          if (made.ok()) cache->context = *made;
        }
      }
      if (cache->context == nullptr) return nullptr;
      // Shares the context's lifetime with the asio object that owns it.
      return std::shared_ptr<SSL_CTX>(cache->context, cache->context->native_handle());
    };
    if (!web->Current()->basic_auth_users.empty()) {
      options.check_password = [web](const std::string& user, const std::string& password) {
        std::shared_ptr<const http::WebConfig> now = web->Current();
        auto it = now->basic_auth_users.find(user);
        return it != now->basic_auth_users.end() && http::BcryptMatches(password, it->second);
      };
    }
  }
  return pgwire::PgServer::Start(options, engine);
}

int Serve(const Config& config, const std::string& config_file) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  http::ServerOptions server_options;
  Status st = ParseListen(config.listen, &server_options.host, &server_options.port);
  if (!st.ok()) return Fail(st.message());
  server_options.max_write_body_bytes = config.max_write_body_bytes;
  server_options.max_write_decompressed_bytes = config.max_write_decompressed_bytes;
  server_options.ingest_threads = config.http_threads;
  server_options.max_connections = config.max_connections;
  server_options.read_timeout = std::chrono::milliseconds(config.read_timeout_ms);
  server_options.max_query_concurrency = config.query_max_concurrency;
  server_options.query_threads = config.query_threads;
  server_options.enable_lifecycle = config.enable_lifecycle;
  server_options.web_config_file = config.web_config_file;
  server_options.enable_admin_api = config.enable_admin_api;
  server_options.route_prefix = RoutePrefix(config);
  server_options.external_url = config.external_url;
  server_options.max_series = config.max_series;
  server_options.max_series_per_metric = config.max_series_per_metric;
  server_options.version = kVersion;
  server_options.read_only = config.read_only;
  if (Status conflicts = ReadOnlyConflicts(config); !conflicts.ok()) return Fail(conflicts.message());
  // Declared before the storage, which asks it.
  std::unique_ptr<remote::WriterReader> writer_reader;
  if (config.read_only && !config.cluster_writers.empty()) {
    auto made = remote::WriterReader::Make({.writers = config.cluster_writers,
                                            .timeout = std::chrono::milliseconds(config.cluster_writer_timeout_ms),
                                            .user_agent = std::string("mytsdb/") + kVersion});
    if (!made.ok()) return Fail("--cluster.writers: " + made.status().message());
    writer_reader = std::move(*made);
  }
  server_options.engine.timeout_ms = config.query_timeout_ms;
  server_options.engine.lookback_ms = config.query_lookback_ms;
  server_options.engine.max_samples = config.query_max_samples;
  if (config.name_validation == "utf8") {
    server_options.name_scheme = model::Labels::NameScheme::kUtf8;
  } else if (config.name_validation == "legacy") {
    server_options.name_scheme = model::Labels::NameScheme::kLegacy;
  } else {
    return Fail("invalid name validation scheme \"" + config.name_validation +
                "\": use utf8 or legacy");
  }

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return Fail("cannot create data directory " + config.data_dir + ": " + ec.message());
  auto lock = io::LockFile::Acquire(config.data_dir);
  if (!lock.ok()) return Fail(lock.status().message());

  // Signals are taken by one thread with sigwait, so they are blocked in all
  // threads created from here on.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  telemetry::Registry registry;
  std::atomic<storage::Storage*> storage_ptr{nullptr};
  std::atomic<history::AlertHistory*> history_ptr{nullptr};
  AddAlertHistoryMetrics(&registry, &history_ptr);
  AddProcessMetrics(&registry);
  AddAllocatorMetrics(&registry);
  AddStorageMetrics(&registry, &storage_ptr, config.max_series, config.max_series_per_metric);

  // The last reload's outcome, for /metrics and /api/v1/status/*, and the
  // configuration file's text as last loaded.
  std::atomic<bool> last_reload_ok{true};
  std::atomic<int64_t> last_reload_success_ms{io::SystemClock()->NowMs()};  // the start counts, as in Prometheus
  std::mutex config_text_mu;
  std::string config_text;
  auto read_config_text = [&] {
    if (config_file.empty()) return;
    auto text = io::PosixFileSystem()->ReadFile(config_file);
    std::lock_guard lock(config_text_mu);
    config_text = text.ok() ? RedactSecrets(*text) : "";
  };
  read_config_text();

  RulesService rules_service(server_options.engine, &registry);
  http::Server server(server_options, &registry);
  http::StatusInfo status;
  status.flags = EffectiveFlags(config, config_file);
  status.storage_retention = model::FormatDuration(config.retention_ms);
  if (config.retention_bytes > 0) {
    status.storage_retention += " or " + FormatBytes(config.retention_bytes);  // "15d or 10GiB", as Prometheus
  }
  status.config = [&] {
    std::lock_guard lock(config_text_mu);
    return http::ConfigStatus{config_text, last_reload_ok.load(),
                              std::chrono::system_clock::time_point(
                                  std::chrono::milliseconds(last_reload_success_ms.load()))};
  };
  server.SetStatusInfo(std::move(status));
  server.SetRules([&rules_service] { return rules_service.manager(); });
  EmbeddedAlertmanager embedded_am;
  if (!config.alertmanager_config_file.empty()) embedded_am.Attach(&server, &registry);
  EmbeddedSearch embedded_search;
  embedded_search.Attach(&server, &registry);
  ScrapeService scraping;
  scraping.Attach(&server);
  // /-/quit (with --web.enable-lifecycle) stops the server as SIGTERM does.
  server.SetQuitHandler([] { ::kill(::getpid(), SIGTERM); });
  // The web UI: a directory given must hold one; the default may not yet.
  const std::string ui_dir = config.web_ui_dir.empty() ? MYTSDB_DEFAULT_UI_DIR : config.web_ui_dir;
  if (http::HasUi(ui_dir)) {
    server.SetUiDirectory(ui_dir);
  } else if (!config.web_ui_dir.empty()) {
    return Fail("--web.ui-dir " + ui_dir + " holds no index.html");
  }
  st = server.Bind();
  if (!st.ok()) return Fail(st.message());
  std::atomic<bool> server_done{false};
  std::thread server_thread([&] {
    server.Run();
    server_done = true;
  });
  spdlog::info("mytsdb {} listening on {}:{}, data directory {}", kVersion, server_options.host,
               server.port(), config.data_dir);

  // Rules are reloaded with the configuration (SIGHUP, /-/reload): the
  // file's global section and rule_files; a problem keeps the rules running.
  std::atomic<storage::Storage*> rules_storage{nullptr};
  registry.AddCollector([&](telemetry::TextWriter* w) {
    w->Family("prometheus_config_last_reload_successful", "gauge",
              "Whether the last configuration reload attempt was successful.");
    w->Sample("prometheus_config_last_reload_successful", {}, last_reload_ok ? 1 : 0);
    w->Family("prometheus_config_last_reload_success_timestamp_seconds", "gauge",
              "Timestamp of the last successful configuration reload.");
    w->Sample("prometheus_config_last_reload_success_timestamp_seconds", {}, last_reload_success_ms / 1000.0);
  });
  auto reload = [&]() -> Status {
    Config fresh = config;
    if (!config_file.empty()) {
      Config from_file;
      if (Status loaded = LoadConfigFile(config_file, &from_file); !loaded.ok()) {
        last_reload_ok = false;
        spdlog::error("reloading the configuration: {}", loaded.message());
        return loaded;
      }
      fresh.rule_files = from_file.rule_files;
      fresh.rule_files_base = from_file.rule_files_base;
      fresh.evaluation_interval_ms = from_file.evaluation_interval_ms;
      fresh.rule_query_offset_ms = from_file.rule_query_offset_ms;
      fresh.alertmanagers = from_file.alertmanagers;
      fresh.alert_relabel_configs = from_file.alert_relabel_configs;
      fresh.scrape_globals = from_file.scrape_globals;
      fresh.scrape_configs = from_file.scrape_configs;
    }
    if (Status conflicts = ReadOnlyConflicts(fresh); !conflicts.ok()) {
      last_reload_ok = false;
      spdlog::error("reloading the configuration: {}", conflicts.message());
      return conflicts;
    }
    storage::Storage* s = rules_storage.load();
    if (s == nullptr) return Status::Unavailable("the storage is still starting");
    Status st = rules_service.Apply(fresh, s);
    // The built-in Alertmanager's file reloads too; its error is the
    // reload's when the rules loaded.
    if (Status am = embedded_am.Reload(); st.ok()) st = am;
    scraping.Apply(fresh);
    last_reload_ok = st.ok();
    if (st.ok()) {
      read_config_text();
      last_reload_success_ms = io::SystemClock()->NowMs();
      spdlog::info("configuration reloaded");
    } else {
      spdlog::error("reloading the configuration: {}", st.message());
    }
    return st;
  };
  server.SetReloadHandler(reload);
  // A snapshot of the data directory holds the alert history too.
  server.SetSnapshotHandler([&history_ptr, data_dir = config.data_dir](const std::string& name) -> Status {
    history::AlertHistory* history = history_ptr.load();
    if (history == nullptr) return Status::OK();
    auto version = history->SnapshotTo(io::JoinPath(io::JoinPath(io::JoinPath(data_dir, "snapshots"), name), "alerts"));
    if (!version.ok()) return version.status().WithContext("snapshot of the alert history");
    spdlog::info("alert history: snapshot {} at version {}", name, *version);
    return Status::OK();
  });

  std::atomic<bool> stop{false};
  std::thread signal_thread([&] {
    int sig = 0;
    while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) (void)reload();
    spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    stop = true;
    // Stop may race with the listener starting; repeat until it took.
    while (!server_done) {
      server.Stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  // Declared before the storage: its file system must outlive it.
  Result<ColdLocation> cold = OpenColdLocation(config);
  Result<std::unique_ptr<storage::Storage>> storage =
      cold.ok() ? storage::Storage::Open(StorageOptionsFrom(config, *cold, writer_reader.get()))
                : Result<std::unique_ptr<storage::Storage>>(
                      cold.status().WithContext("cold tier at " + config.cold_url));
  int exit_code = 0;
  std::unique_ptr<history::AlertHistory> alert_history;
  std::unique_ptr<sql::SqlEngine> sql;
  std::unique_ptr<pgwire::PgServer> pg;
  if (!storage.ok()) {
    spdlog::error("cannot open the storage: {}", storage.status().ToString());
    exit_code = 1;
    pthread_kill(signal_thread.native_handle(), SIGTERM);
  } else if (auto opened = OpenAlertHistory(config); !opened.ok()) {
    // Not understood on disk: refuse to start, as for the samples.
    spdlog::error("cannot open the alert history: {}", opened.status().ToString());
    exit_code = 1;
    pthread_kill(signal_thread.native_handle(), SIGTERM);
  } else {
    alert_history = std::move(*opened);
    // Without SQL the server still serves everything else.
    history::AlertHistory* history = alert_history.get();
    auto engine = sql::SqlEngine::Open(
        storage->get(), config.data_dir,
        {.memory_limit_bytes = config.sql_memory_limit_bytes,
         .threads = config.sql_threads,
         .timeout = std::chrono::milliseconds(config.sql_timeout_ms),
         .promql = server_options.engine,
         .alert_files = [history] {
           std::vector<std::string> files;
           for (const std::string& f : history->Files()) files.push_back(io::JoinPath(history->dir(), f));
           return files;
         }});
    if (engine.ok()) {
      sql = std::move(*engine);
      spdlog::info("SQL: memory limit {} MiB, timeout {} s", sql->memory_limit_bytes() >> 20,
                   config.sql_timeout_ms / 1000);
    } else {
      spdlog::error("SQL is not available: {}", engine.status().ToString());
    }
    if (sql != nullptr && !config.pg_listen.empty()) {
      Result<std::unique_ptr<pgwire::PgServer>> started = StartPgServer(config, sql.get());
      if (started.ok()) {
        pg = std::move(*started);
        spdlog::info("PostgreSQL protocol listening on {}:{}",
                     config.pg_listen.substr(0, config.pg_listen.rfind(':')), pg->port());
      } else {
        spdlog::error("{}", started.status().message());
        exit_code = 1;
        pthread_kill(signal_thread.native_handle(), SIGTERM);
      }
    }
    storage_ptr = storage->get();
    server.SetSqlEngine(sql.get());
    server.SetStorage(storage->get());
    // Invalid rule files stop the server at start, as in Prometheus.
    rules_storage = storage->get();
    rules_service.SetSqlEngine(sql.get());
    rules_service.SetAlertHistory(alert_history.get());
    history_ptr = alert_history.get();
    if (!config.alertmanager_config_file.empty()) {
      alertmanager::AlertmanagerOptions am;
      am.config_file = config.alertmanager_config_file;
      am.data_dir = io::JoinPath(config.data_dir, "alertmanager");
      am.external_url = !config.external_url.empty()
                            ? config.external_url
                            : "http://" + server_options.host + ":" + std::to_string(server.port());
      am.on_attempt = RecordAttempts(alert_history.get());
      if (Status started = embedded_am.Start(std::move(am)); !started.ok()) {
        spdlog::error("the built-in Alertmanager: {}", started.message());
        exit_code = 1;
        pthread_kill(signal_thread.native_handle(), SIGTERM);
      } else {
        rules_service.SetLocalAlertmanager(
            [&embedded_am](const std::vector<notifier::Alert>& alerts) { return embedded_am.Receive(alerts); });
        spdlog::info("built-in Alertmanager running ({})", config.alertmanager_config_file);
      }
    }
    Status rules = rules_service.Apply(config, storage->get());
    if (!rules.ok()) {
      spdlog::error("rules: {}", rules.message());
      exit_code = 1;
      pthread_kill(signal_thread.native_handle(), SIGTERM);
    }
    scraping.Start(config, storage->get(), kVersion);
    // Last: rules come first, and /api/v1/search answers 503 "starting"
    // until this.
    if (Status search = embedded_search.Start(config, storage->get()); !search.ok()) {
      spdlog::error("{}", search.ToString());
      exit_code = 1;
      pthread_kill(signal_thread.native_handle(), SIGTERM);
    }
    spdlog::info("ready");
  }

  signal_thread.join();
  server_thread.join();
  scraping.Stop();
  rules_service.Stop();  // hands what it holds to the Alertmanagers
  embedded_am.Stop();
  embedded_search.Stop();
  rules_storage = nullptr;
  history_ptr = nullptr;
  if (pg != nullptr) pg->Stop();
  pg.reset();
  server.SetSqlEngine(nullptr);
  sql.reset();
  alert_history.reset();  // flushes what is queued
  server.SetStorage(nullptr);
  storage_ptr = nullptr;
  if (storage.ok()) {
    Status close = (*storage)->Close();
    if (!close.ok()) {
      spdlog::error("closing the storage: {}", close.ToString());
      exit_code = 1;
    }
  }
  spdlog::info("stopped");
  return exit_code;
}

}  // namespace
}  // namespace mytsdb::app

int main(int argc, char** argv) {
  using mytsdb::app::Config;
  // Arrow allocates through the process's allocator (jemalloc, which gives
  // freed memory back while idle), not a second allocator of its own whose
  // caches would hold memory after a flush or compaction. An explicit
  // setting in the environment wins.
  ::setenv("ARROW_DEFAULT_MEMORY_POOL", "system", /*overwrite=*/0);
  // No OpenBLAS worker thread may take the signals the server waits for
  // (search/encoder.h); embedding runs on one thread anyway.
  mytsdb::search::SentenceEncoder::SetMatrixThreads(1);
  CLI::App app{"MyTSDB: a Prometheus-compatible time-series database with a Parquet cold tier."};
  app.require_subcommand(1);
  app.set_version_flag("--version", mytsdb::app::kVersion);

  std::string config_file, data_dir, listen, fsync, fsync_interval, segment_size, block_duration,
      max_block_duration, max_body, max_decompressed, name_validation, log_level, retention,
      retention_size, maintenance_interval, query_timeout, query_lookback, max_future,
      sql_memory_limit, sql_timeout, pg_listen, for_outage_tolerance, for_grace_period, resend_delay,
      rules_cold_cache, alert_history_flush, search_model_dir, search_refresh, search_embeddings_url,
      search_embeddings_model, search_embeddings_api_key_file, web_ui_dir;
  size_t notification_queue_capacity = 0;
  int sql_threads = 0, pg_max_connections = 0;
  uint64_t max_series = 0, max_series_per_metric = 0;
  int64_t query_max_samples = 0;
  int http_threads = 0, max_connections = 0, query_max_concurrency = 0, query_threads = 0;
  std::string web_config_file, read_timeout, external_url, route_prefix, alertmanager_config_file;
  bool enable_lifecycle = false;
  bool enable_admin_api = false;
  bool strict_prometheus = false;
  bool cluster_compactor = false;
  bool read_only = false;
  std::string cluster_writers, cluster_writer_timeout;
  CLI::App* serve = app.add_subcommand("serve", "Run the server.");
  serve->add_option("--config", config_file,
                    "YAML configuration file; flags given on the command line override it");
  serve->add_option("--data-dir", data_dir, "Data directory (default ./data)");
  serve->add_option("--rules.alert.for-outage-tolerance", for_outage_tolerance,
                    "Longest outage after which pending and firing alerts are still restored (default 1h)");
  serve->add_option("--rules.alert.for-grace-period", for_grace_period,
                    "Least time between a restart and an alert with a `for` of at least this firing (default 10m)");
  serve->add_option("--rules.alert.resend-delay", resend_delay,
                    "How often a firing alert is sent to Alertmanager again (default 1m)");
  serve->add_option("--alert-history.flush-interval", alert_history_flush,
                    "How often alert state changes are written to the alert history (DATA/alerts, the SQL "
                    "table `alerts`); a crash loses at most this much of it (default 10s)");
  serve->add_option("--rules.cold-cache-size", rules_cold_cache,
                    "Memory for cold-tier samples kept between rule evaluations, so that a trend rule's "
                    "window into the Parquet tier is not decoded again every cycle (default 256MiB; 0: none)");
  serve->add_option("--search.model-dir", search_model_dir,
                    "The sentence-embedding model of semantic search (default: the one scripts/setup.sh installs "
                    "in .deps/models; docs/SEARCH.md)");
  serve->add_option("--web.ui-dir", web_ui_dir,
                    "The web UI's files (default: build/ui, which make build fills; docs/design/ui.md)");
  serve->add_option("--search.refresh-interval", search_refresh,
                    "How often the search index takes in new metrics and HELP texts (default 15s)");
  serve->add_option("--search.embeddings-url", search_embeddings_url,
                    "An OpenAI-compatible embeddings endpoint (e.g. http://127.0.0.1:8080/v1/embeddings) that "
                    "embeds for search instead of the built-in model; needs --search.embeddings-model");
  serve->add_option("--search.embeddings-model", search_embeddings_model,
                    "The model name sent to --search.embeddings-url");
  serve->add_option("--search.embeddings-api-key-file", search_embeddings_api_key_file,
                    "A file holding the API key sent to --search.embeddings-url as a bearer token");
  serve->add_option("--alertmanager.config.file", alertmanager_config_file,
                    "Run the built-in Alertmanager with this Alertmanager configuration file: rules notify it in "
                    "process, its API v2 is served here, its state kept in DATA/alertmanager (docs/ALERTMANAGER.md)");
  serve->add_option("--alertmanager.notification-queue-capacity", notification_queue_capacity,
                    "Alerts waiting to be sent at most; beyond it the oldest are dropped (default 10000)");
  serve->add_option("--web.external-url", external_url,
                    "The URL MyTSDB is reached under, as in Prometheus: alert templates' externalURL "
                    "and links in notifications");
  serve->add_option("--web.route-prefix", route_prefix,
                    "Prefix of every HTTP route, as in Prometheus (default: the path of --web.external-url), "
                    "for a reverse proxy that forwards a sub-path unchanged");
  serve->add_option("--listen", listen,
                    "HOST:PORT to serve HTTP on (default 127.0.0.1:9663; port 0 picks a free one)");
  serve->add_option("--wal-fsync", fsync,
                    "When the WAL is fsynced: always (before every acknowledgement, group "
                    "commit), interval (default; every --wal-fsync-interval) or never");
  serve->add_option("--wal-fsync-interval", fsync_interval,
                    "Period of WAL fsyncs in interval mode (default 1s)");
  serve->add_option("--wal-segment-size", segment_size, "WAL segment size (default 128MiB)");
  serve->add_option("--block-duration", block_duration,
                    "Cold-tier block length; head chunks are cut at its multiples and samples "
                    "older than half of it behind the newest are refused (default 2h)");
  serve->add_option("--max-block-duration", max_block_duration,
                    "Largest time window compaction merges cold-tier files into: windows of 3, "
                    "9, 27... blocks, and the whole day (default: a tenth of --retention)");
  serve->add_option("--retention", retention,
                    "How long samples are kept, counted back from the server's clock (default "
                    "15d); older samples are refused, and a cold-tier file goes once all its "
                    "samples are older");
  serve->add_option("--storage.max-series", max_series,
                    "Most active series in the head; samples of new series beyond it are refused "
                    "with 400 naming the metric (default 0: no limit)");
  serve->add_option("--storage.max-series-per-metric", max_series_per_metric,
                    "Most active series per metric name in the head (default 0: no limit)");
  serve->add_option("--ingest.max-future", max_future,
                    "Samples dated more than this ahead of the server's clock are refused "
                    "(default 10m)");
  serve->add_option("--retention-size", retention_size,
                    "If set, the oldest cold-tier files are removed while the tier is larger "
                    "(e.g. 50GiB; default: no limit)");
  serve->add_option("--maintenance-interval", maintenance_interval,
                    "How often the head is checked for blocks to persist and the cold tier is "
                    "compacted and trimmed (default 30s)");
  serve->add_option("--max-write-body-size", max_body,
                    "Largest compressed remote-write body accepted; larger ones get 413 "
                    "(default 32MiB)");
  serve->add_option("--max-write-decompressed-size", max_decompressed,
                    "Largest decompressed remote-write payload (default 256MiB)");
  serve->add_option("--name-validation", name_validation,
                    "Label and metric name rules: utf8 (default, as Prometheus 3) or legacy "
                    "([a-zA-Z_][a-zA-Z0-9_]*)");
  serve->add_option("--web.config.file", web_config_file,
                    "Web configuration (TLS, basic auth) in the format Prometheus and the "
                    "exporters use; re-read when it changes");
  serve->add_flag("--web.enable-lifecycle", enable_lifecycle,
                  "Enable /-/reload and /-/quit (off by default, as in Prometheus)");
  serve->add_option("--web.max-connections", max_connections,
                    "Most HTTP connections open at once; more wait (default 512)");
  serve->add_option("--web.read-timeout", read_timeout,
                    "Longest a client may take to send one request; slower ones are cut off "
                    "(default 1m)");
  serve->add_option("--query.max-concurrency", query_max_concurrency,
                    "Most PromQL queries and reads evaluated at once; more wait in a queue "
                    "(default 20)");
  serve->add_option("--query.threads", query_threads,
                    "Threads evaluating queries and reads, at the lowest CPU priority (default: one "
                    "per CPU, at most --query.max-concurrency)");
  serve->add_option("--http-threads", http_threads,
                    "Threads that run remote-write requests (default 4); queries have their own "
                    "(--query.threads)");
  serve->add_option("--log-level", log_level, "trace, debug, info (default), warn, error");
  serve->add_flag("--cluster.compactor", cluster_compactor,
                  "Stand for the compactor of the shared table this writer persists into: "
                  "the writer that holds the lease in the log compacts and applies retention "
                  "(docs/SCALING.md)");
  serve->add_flag("--read-only", read_only,
                  "Serve queries over the shared table at --storage.cold-url without writing "
                  "anything, the newest samples asked of --cluster.writers (docs/SCALING.md)");
  serve->add_option("--cluster.writers", cluster_writers,
                    "With --read-only: the writers' base URLs, separated by commas, asked over "
                    "remote read for the samples their heads hold");
  serve->add_option("--cluster.writer-timeout", cluster_writer_timeout,
                    "With --read-only: how long connecting to a writer, and each read of its "
                    "answer, may take; a writer that does not answer makes the result partial, "
                    "with a warning (default 30s)");
  serve->add_flag("--strict-prometheus", strict_prometheus,
                  "Load only what Prometheus would: rule files with MyTSDB's extensions (rules with "
                  "`sql:`) are refused");
  serve->add_flag("--web.enable-admin-api", enable_admin_api,
                  "Enable /api/v1/admin/* (flush, compact, delete_series, snapshot, "
                  "clean_tombstones), which change or copy stored data; off by default, as in "
                  "Prometheus");
  serve->add_option("--query.timeout", query_timeout,
                    "Longest a PromQL query may run; slower ones get 503 timeout (default 2m)");
  serve->add_option("--query.lookback-delta", query_lookback,
                    "How far back PromQL looks for the latest sample of a series (default 5m)");
  serve->add_option("--query.max-samples", query_max_samples,
                    "Most samples one PromQL query may hold at once; more gets 422 (default 50000000)");
  serve->add_option("--sql.memory-limit", sql_memory_limit,
                    "Memory for all SQL queries together (DuckDB's limit, shared by running "
                    "queries; what does not fit spills to DATA/sql-tmp up to as much again); a "
                    "query over it fails with 422 (default: a quarter of the machine's memory)");
  serve->add_option("--sql.threads", sql_threads,
                    "Threads SQL queries run on, together (default: one per CPU)");
  serve->add_option("--pg.listen", pg_listen,
                    "HOST:PORT to serve the PostgreSQL wire protocol on, for psql, Grafana's "
                    "PostgreSQL data source and every PostgreSQL driver (default: off; port 0 picks "
                    "a free one); TLS and users from --web.config.file");
  serve->add_option("--pg.max-connections", pg_max_connections,
                    "Most PostgreSQL connections open at once (default 64)");
  serve->add_option("--sql.timeout", sql_timeout,
                    "Longest a SQL query may run; slower ones get 503 timeout (default 2m)");
  std::string flush_data_dir, cold_url, s3_endpoint, s3_region, cluster_writer;
  CLI::App* flush = app.add_subcommand(
      "flush", "Persist the whole head of a stopped server to the cold tier (Parquet) and exit.");
  flush->add_option("--data-dir", flush_data_dir, "Data directory (default ./data)");
  for (CLI::App* command : {serve, flush}) {
    command->add_option("--storage.cold-url", cold_url,
                        "Keep the cold tier's Delta table at s3://bucket/prefix on an "
                        "S3-compatible object store instead of DATA/parquet (docs/SCALING.md)");
    command->add_option("--storage.s3.endpoint", s3_endpoint,
                        "The object store's URL, http(s)://host:port (default: AWS_ENDPOINT_URL, "
                        "else AWS)");
    command->add_option("--storage.s3.region", s3_region,
                        "The object store's region (default: AWS_REGION, else us-east-1)");
    command->add_option("--cluster.writer", cluster_writer,
                        "This server's name among several writers of one shared table: its "
                        "own persisted watermark (docs/SCALING.md); unique per writer");
  }
  mytsdb::app::SqlCommandOptions sql_options;
  std::string sql_timeout_flag;
  CLI::App* sql_command = app.add_subcommand(
      "sql", "Run a SQL query (docs/SQL.md) against a running server (--url) or over the data "
             "directory of a stopped one, WAL included, without changing it.");
  sql_command->add_option("query", sql_options.query, "The SQL query")->required();
  sql_command->add_option("--url", sql_options.url,
                          "A running server, e.g. http://127.0.0.1:9663 (default: read --data-dir)");
  sql_command->add_option("--data-dir", sql_options.data_dir, "Data directory of a stopped server (default ./data)");
  sql_command->add_option("--format", sql_options.format, "table (default), csv or json");
  sql_command->add_option("--max-rows", sql_options.max_rows,
                          "Rows a table shows at most (default 1000); csv and json print all");
  sql_command->add_option("--user", sql_options.user,
                          "Basic-auth user for --url; the password is read from MYTSDB_PASSWORD");
  sql_command->add_option("--timeout", sql_timeout_flag, "Longest the query may run (default 2m)");
  mytsdb::app::CheckRulesOptions check_rules;
  std::string check_names = "utf8";
  CLI::App* check = app.add_subcommand("check", "Check configuration files.");
  check->require_subcommand(1);
  CLI::App* check_rules_command = check->add_subcommand(
      "rules", "Check rule files as `promtool check rules` does (docs/RULES.md); exit 1 if any is invalid.");
  check_rules_command->add_option("files", check_rules.files, "Rule files")->required();
  check_rules_command->add_option("--name-validation", check_names,
                                  "Label and metric names: utf8 (Prometheus 3, default) or legacy (Prometheus 2)");
  check_rules_command->add_flag("--strict-prometheus", check_rules.strict_prometheus,
                                "Refuse MyTSDB's extensions (rules with `sql:`), as Prometheus would");
  std::vector<std::string> check_am_files;
  CLI::App* check_am_command = check->add_subcommand(
      "alertmanager-config",
      "Check Alertmanager configuration files and their templates as `amtool check-config` does; exit 1 if any is "
      "invalid.");
  check_am_command->add_option("files", check_am_files, "Alertmanager configuration files")->required();
  mytsdb::app::AlertmanagerRoutesOptions am_routes;
  mytsdb::app::AlertmanagerServerOptions am_server;
  CLI::App* am = app.add_subcommand(
      "alertmanager", "The built-in Alertmanager, alone (Alertmanager 0.25's flags and API v2; docs/ALERTMANAGER.md).");
  am->require_subcommand(0, 1);
  am->add_option("--config.file", am_server.config_file, "Alertmanager configuration file");
  am->add_option("--web.listen-address", am_server.listen, "Address to listen on")->capture_default_str();
  am->add_option("--storage.path", am_server.storage_path, "Where silences, the notification log and alerts are kept")
      ->capture_default_str();
  am->add_option("--web.external-url", am_server.external_url,
                 "URL under which the Alertmanager is reachable (default: http://HOSTNAME:PORT)");
  am->add_option("--data.retention", am_server.retention, "How long to keep expired silences and notification log entries")
      ->capture_default_str();
  am->add_option("--web.config.file", am_server.web_config_file,
                 "TLS and basic authentication, in the exporter-toolkit format (docs/OPERATIONS.md)");
  am->add_option("--alert-history.flush-interval", am_server.history_flush,
                 "How often notification attempts are written to STORAGE/alerts (a Delta table)")
      ->capture_default_str();
  CLI::App* am_routes_command = am->add_subcommand(
      "routes", "Print the routing tree of an Alertmanager configuration, as `amtool config routes` does.");
  am_routes_command->fallthrough();
  am_routes_command->add_option("--config.file", am_routes.config_file, "Alertmanager configuration file")
      ->required();
  CLI::App* am_routes_test = am_routes_command->add_subcommand(
      "test", "Print the receivers an alert with these labels goes to, as `amtool config routes test` does.");
  am_routes_test->add_option("labels", am_routes.labels, "LABEL=VALUE ...");
  mytsdb::app::SearchCommandOptions search_options;
  CLI::App* search_command = app.add_subcommand(
      "search", "Find metrics by what they mean (\"disk almost full\", \"p99 latency\") on a running server "
                "(docs/SEARCH.md).");
  search_command->add_option("question", search_options.question, "The question, in words")->required();
  search_command->add_option("--url", search_options.url, "The server")->capture_default_str();
  search_command->add_option("--limit", search_options.limit, "Results, 1-100")->capture_default_str();
  search_command->add_option("--type", search_options.type, "Only metrics of this type (counter, gauge, histogram, ...)");
  search_command->add_option("--match", search_options.match,
                             "Only metrics with a series matching this selector, e.g. '{job=\"node\"}' (repeatable)");
  search_command->add_option("--mode", search_options.mode, "hybrid (default), semantic or lexical");
  search_command->add_option("--format", search_options.format, "table (default) or json");
  search_command->add_option("--user", search_options.user,
                             "Basic-auth user; the password is read from MYTSDB_PASSWORD");
  app.add_subcommand("version", "Print the version.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (app.got_subcommand("version")) {
    std::printf("mytsdb %s\n", mytsdb::app::kVersion);
    return 0;
  }
  if (app.got_subcommand("alertmanager")) {
    if (am->got_subcommand("routes")) {
      am_routes.test = am_routes_command->got_subcommand("test");
      return mytsdb::app::RunAlertmanagerRoutes(am_routes);
    }
    if (am_server.config_file.empty()) return mytsdb::app::Fail("mytsdb alertmanager needs --config.file");
    return mytsdb::app::RunAlertmanagerServer(am_server);
  }
  if (check->got_subcommand("alertmanager-config")) return mytsdb::app::RunCheckAlertmanagerConfig(check_am_files);
  if (check->got_subcommand("rules")) {
    if (check_names != "utf8" && check_names != "legacy") {
      return mytsdb::app::Fail("invalid --name-validation \"" + check_names + "\": utf8 or legacy");
    }
    check_rules.names = check_names == "legacy" ? mytsdb::model::Labels::NameScheme::kLegacy
                                                : mytsdb::model::Labels::NameScheme::kUtf8;
    return mytsdb::app::RunCheckRules(check_rules);
  }
  if (app.got_subcommand("search")) {
    if (search_options.format != "table" && search_options.format != "json") {
      return mytsdb::app::Fail("invalid --format \"" + search_options.format + "\": table or json");
    }
    return mytsdb::app::RunSearchCommand(search_options);
  }
  if (app.got_subcommand("sql")) {
    if (!sql_timeout_flag.empty()) {
      auto t = mytsdb::app::ParseDuration(sql_timeout_flag);
      if (!t.ok() || *t <= 0) return mytsdb::app::Fail("invalid --timeout \"" + sql_timeout_flag + "\"");
      sql_options.timeout_ms = *t;
    }
    return mytsdb::app::RunSqlCommand(sql_options);
  }
  if (app.got_subcommand("flush")) {
    Config config;
    if (!flush_data_dir.empty()) config.data_dir = flush_data_dir;
    if (!cold_url.empty()) config.cold_url = cold_url;
    if (!s3_endpoint.empty()) config.s3.endpoint = s3_endpoint;
    if (!s3_region.empty()) config.s3.region = s3_region;
    if (!cluster_writer.empty()) config.cluster_writer = cluster_writer;
    return mytsdb::app::Flush(config);
  }

  Config config;
  if (!config_file.empty()) {
    mytsdb::Status st = mytsdb::app::LoadConfigFile(config_file, &config);
    if (!st.ok()) return mytsdb::app::Fail(st.message());
  }
  auto apply = [](const std::string& flag, const std::string& value, auto parse,
                  auto* target) -> mytsdb::Status {
    if (value.empty()) return mytsdb::Status::OK();
    auto parsed = parse(value);
    if (!parsed.ok()) return parsed.status().WithContext(flag);
    *target = *parsed;
    return mytsdb::Status::OK();
  };
  if (!data_dir.empty()) config.data_dir = data_dir;
  if (!cold_url.empty()) config.cold_url = cold_url;
  if (!s3_endpoint.empty()) config.s3.endpoint = s3_endpoint;
  if (!s3_region.empty()) config.s3.region = s3_region;
  if (!cluster_writer.empty()) config.cluster_writer = cluster_writer;
  if (!listen.empty()) config.listen = listen;
  if (!log_level.empty()) config.log_level = log_level;
  if (!name_validation.empty()) config.name_validation = name_validation;
  // 0 means "not given"; a negative value reaches the checks below.
  if (http_threads != 0) config.http_threads = http_threads;
  if (max_connections != 0) config.max_connections = max_connections;
  if (query_max_concurrency != 0) config.query_max_concurrency = query_max_concurrency;
  if (query_threads != 0) config.query_threads = query_threads;
  if (enable_lifecycle) config.enable_lifecycle = true;
  if (!web_config_file.empty()) config.web_config_file = web_config_file;
  if (!external_url.empty()) config.external_url = external_url;
  if (!route_prefix.empty()) config.route_prefix = route_prefix;
  if (!config.external_url.empty()) {
    const size_t scheme = config.external_url.find("://");
    if (scheme == std::string::npos || scheme == 0) {
      return mytsdb::app::Fail("--web.external-url must be an absolute URL (http://host:port/path), not \"" +
                               config.external_url + "\"");
    }
    // As Prometheus: the path without its trailing slashes.
    while (config.external_url.size() > scheme + 3 && config.external_url.back() == '/') {
      config.external_url.pop_back();
    }
  }
  if (notification_queue_capacity > 0) config.notification_queue_capacity = notification_queue_capacity;
  if (!alertmanager_config_file.empty()) config.alertmanager_config_file = alertmanager_config_file;
  if (enable_admin_api) config.enable_admin_api = true;
  if (strict_prometheus) config.strict_prometheus = true;
  if (cluster_compactor) config.cluster_compactor = true;
  if (read_only) config.read_only = true;
  if (!cluster_writers.empty()) config.cluster_writers = mytsdb::app::SplitWriterUrls(cluster_writers);
  if (max_series > 0) config.max_series = max_series;
  if (max_series_per_metric > 0) config.max_series_per_metric = max_series_per_metric;
  for (mytsdb::Status st : {
           apply("--wal-fsync", fsync, mytsdb::app::ParseFsyncMode, &config.wal_fsync),
           apply("--wal-fsync-interval", fsync_interval, mytsdb::app::ParseDuration,
                 &config.wal_fsync_interval_ms),
           apply("--wal-segment-size", segment_size, mytsdb::app::ParseBytes,
                 &config.wal_segment_bytes),
           apply("--block-duration", block_duration, mytsdb::app::ParseDuration,
                 &config.block_duration_ms),
           apply("--max-block-duration", max_block_duration, mytsdb::app::ParseDuration,
                 &config.max_block_duration_ms),
           apply("--retention", retention, mytsdb::app::ParseDuration, &config.retention_ms),
           apply("--ingest.max-future", max_future, mytsdb::app::ParseDuration,
                 &config.max_future_ms),
           apply("--retention-size", retention_size, mytsdb::app::ParseBytes,
                 &config.retention_bytes),
           apply("--maintenance-interval", maintenance_interval, mytsdb::app::ParseDuration,
                 &config.persist_check_interval_ms),
           apply("--max-write-body-size", max_body, mytsdb::app::ParseBytes,
                 &config.max_write_body_bytes),
           apply("--max-write-decompressed-size", max_decompressed, mytsdb::app::ParseBytes,
                 &config.max_write_decompressed_bytes),
           apply("--query.timeout", query_timeout, mytsdb::app::ParseDuration, &config.query_timeout_ms),
           apply("--web.read-timeout", read_timeout, mytsdb::app::ParseDuration,
                 &config.read_timeout_ms),
           apply("--query.lookback-delta", query_lookback, mytsdb::app::ParseDuration,
                 &config.query_lookback_ms),
           apply("--sql.memory-limit", sql_memory_limit, mytsdb::app::ParseBytes,
                 &config.sql_memory_limit_bytes),
           apply("--sql.timeout", sql_timeout, mytsdb::app::ParseDuration, &config.sql_timeout_ms),
           apply("--cluster.writer-timeout", cluster_writer_timeout, mytsdb::app::ParseDuration,
                 &config.cluster_writer_timeout_ms),
           apply("--rules.alert.for-outage-tolerance", for_outage_tolerance, mytsdb::app::ParseDuration,
                 &config.for_outage_tolerance_ms),
           apply("--rules.alert.for-grace-period", for_grace_period, mytsdb::app::ParseDuration,
                 &config.for_grace_period_ms),
           apply("--rules.alert.resend-delay", resend_delay, mytsdb::app::ParseDuration, &config.resend_delay_ms),
           apply("--rules.cold-cache-size", rules_cold_cache, mytsdb::app::ParseBytes, &config.rules_cold_cache_bytes),
           apply("--alert-history.flush-interval", alert_history_flush, mytsdb::app::ParseDuration,
                 &config.alert_history_flush_interval_ms),
           apply("--search.refresh-interval", search_refresh, mytsdb::app::ParseDuration,
                 &config.search_refresh_interval_ms),
       }) {
    if (!st.ok()) return mytsdb::app::Fail(st.message());
  }
  if (config.block_duration_ms <= 0) return mytsdb::app::Fail("--block-duration must be positive");
  if (config.retention_ms <= 0) return mytsdb::app::Fail("--retention must be positive");
  if (config.max_future_ms < 0) return mytsdb::app::Fail("--ingest.max-future must not be negative");
  if (query_max_samples != 0) config.query_max_samples = query_max_samples;
  if (config.query_timeout_ms <= 0) return mytsdb::app::Fail("--query.timeout must be positive");
  if (config.read_timeout_ms <= 0) return mytsdb::app::Fail("--web.read-timeout must be positive");
  if (config.max_connections <= 0) return mytsdb::app::Fail("--web.max-connections must be positive");
  if (config.http_threads <= 0) return mytsdb::app::Fail("--http-threads must be positive");
  if (config.query_max_concurrency <= 0) {
    return mytsdb::app::Fail("--query.max-concurrency must be positive");
  }
  if (config.query_threads < 0) return mytsdb::app::Fail("--query.threads must not be negative");
  if (sql_threads != 0) config.sql_threads = sql_threads;
  if (!pg_listen.empty()) config.pg_listen = pg_listen;
  if (pg_max_connections != 0) config.pg_max_connections = pg_max_connections;
  if (config.pg_max_connections <= 0) return mytsdb::app::Fail("--pg.max-connections must be positive");
  if (!config.pg_listen.empty()) {
    std::string host;
    int port = 0;
    mytsdb::Status st = mytsdb::app::ParseListen(config.pg_listen, &host, &port);
    if (!st.ok()) return mytsdb::app::Fail("--pg.listen: " + st.message());
  }
  if (config.sql_threads < 0) return mytsdb::app::Fail("--sql.threads must not be negative");
  if (config.sql_timeout_ms <= 0) return mytsdb::app::Fail("--sql.timeout must be positive");
  if (config.sql_memory_limit_bytes != 0 && config.sql_memory_limit_bytes < (16u << 20)) {
    return mytsdb::app::Fail("--sql.memory-limit must be at least 16MiB");
  }
  if (config.query_lookback_ms <= 0) return mytsdb::app::Fail("--query.lookback-delta must be positive");
  if (config.alert_history_flush_interval_ms <= 0) {
    return mytsdb::app::Fail("--alert-history.flush-interval must be positive");
  }
  if (config.query_max_samples <= 0) return mytsdb::app::Fail("--query.max-samples must be positive");
  if (config.search_refresh_interval_ms <= 0) return mytsdb::app::Fail("--search.refresh-interval must be positive");
  if (!search_model_dir.empty()) config.search_model_dir = search_model_dir;
  if (!web_ui_dir.empty()) config.web_ui_dir = web_ui_dir;
  if (!search_embeddings_url.empty()) config.search_embeddings_url = search_embeddings_url;
  if (!search_embeddings_model.empty()) config.search_embeddings_model = search_embeddings_model;
  if (!search_embeddings_api_key_file.empty()) config.search_embeddings_api_key_file = search_embeddings_api_key_file;
  if (!config.search_embeddings_url.empty()) {
    if (!config.search_embeddings_url.starts_with("http://") && !config.search_embeddings_url.starts_with("https://")) {
      return mytsdb::app::Fail("--search.embeddings-url must be an http:// or https:// URL");
    }
    if (config.search_embeddings_model.empty()) {
      return mytsdb::app::Fail("--search.embeddings-url needs --search.embeddings-model");
    }
    if (!config.search_model_dir.empty()) {
      return mytsdb::app::Fail("--search.embeddings-url and --search.model-dir exclude each other");
    }
  } else if (!config.search_embeddings_model.empty() || !config.search_embeddings_api_key_file.empty()) {
    return mytsdb::app::Fail("--search.embeddings-model and --search.embeddings-api-key-file need --search.embeddings-url");
  }
  if (config.persist_check_interval_ms <= 0) {
    return mytsdb::app::Fail("--maintenance-interval must be positive");
  }
  if (config.wal_fsync_interval_ms <= 0) {
    return mytsdb::app::Fail("--wal-fsync-interval must be positive");
  }
  if (spdlog::level::from_str(config.log_level) == spdlog::level::off &&
      config.log_level != "off") {
    return mytsdb::app::Fail("invalid log level \"" + config.log_level + "\"");
  }
  return mytsdb::app::Serve(config, config_file);
}
