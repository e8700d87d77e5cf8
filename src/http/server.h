// The HTTP server: Prometheus-compatible API, remote-write ingestion, health
// and the server's own metrics. See docs/API.md for every endpoint.
//
// Connections are served by a few I/O threads with Boost.Beast: reading a
// request costs no thread while the client is slow, so connections that send
// nothing cannot exhaust the server; a request must arrive whole within
// read_timeout, a keep-alive connection idle longer than idle_timeout is
// closed, and at most max_connections are open (further ones wait in the
// listen backlog). Headers and bodies have size limits (431, 413).
//
// A complete request runs on a worker pool by kind: remote write on the
// ingest pool (normal priority), PromQL and other reads on the query pool
// (max_query_concurrency threads at the lowest CPU priority, with a queue),
// admin work on its own pool; health checks answer on the I/O threads. A
// full queue answers 503.
//
// TLS and basic authentication come from the web config file
// (web_config.h), re-read when it changes.
//
// The server starts listening before the storage is ready so that health
// checks answer while the WAL replays: until SetStorage() is called,
// /-/ready and every data endpoint answer 503.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/message.h"
#include "model/labels.h"
#include "promql/engine.h"
#include "storage/storage.h"
#include "telemetry/metrics.h"

namespace mytsdb::rules {
class Manager;
}  // namespace mytsdb::rules

namespace mytsdb::sql {
class SqlEngine;
}  // namespace mytsdb::sql

namespace mytsdb::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 9663;  // 0 picks a free port
  // Compressed remote-write bodies above this get 413.
  size_t max_write_body_bytes = 32 << 20;
  // Decompressed remote-write payloads above this get 413.
  size_t max_write_decompressed_bytes = 256 << 20;
  // Bodies of other requests (form POSTs of queries) above this get 413.
  size_t max_body_bytes = 16 << 20;
  // Request line and headers above this get 431 (Go's default, which
  // Prometheus keeps).
  size_t max_header_bytes = 1 << 20;
  model::Labels::NameScheme name_scheme = model::Labels::NameScheme::kUtf8;
  std::string version = "0.1.0";
  // PromQL: lookback, sample limit and timeout (Prometheus's defaults).
  promql::EngineOptions engine = [] {
    promql::EngineOptions o;
    o.timeout_ms = 120'000;
    return o;
  }();
  // Cardinality limits, for the messages of refused writes (0: none).
  uint64_t max_series = 0;
  uint64_t max_series_per_metric = 0;
  // /api/v1/admin/* answer 503 unless set (--web.enable-admin-api).
  bool enable_admin_api = false;
  // /-/reload and /-/quit answer 403 unless set (--web.enable-lifecycle).
  bool enable_lifecycle = false;
  // --web.config.file: TLS and basic auth; empty for plain HTTP, no auth.
  std::string web_config_file;
  // --web.route-prefix: every route is served under it ("/prefix", or ""
  // for the root), as Prometheus serves its routes behind a proxy.
  std::string route_prefix;
  // --web.external-url: pages served from it may change state even when a
  // proxy passes on another Host (same_origin.h).
  std::string external_url;

  // Connections (Prometheus's --web.max-connections default: 512).
  int max_connections = 512;
  std::chrono::milliseconds read_timeout{std::chrono::seconds(60)};   // one whole request
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};  // between requests
  int io_threads = 2;
  // Workers: remote write, PromQL and reads, admin.
  int ingest_threads = 4;
  // Queries and reads evaluated at once (--query.max-concurrency, as
  // Prometheus), on at most query_threads threads (0: one per CPU): more
  // threads than CPUs only time-slice evaluation, and each preempted query
  // thread holding a lock ingestion also takes (allocator, head) makes
  // ingestion wait for it (docs/BENCHMARKS.md, "queries and ingestion").
  int max_query_concurrency = 20;
  int query_threads = 0;
  size_t max_queued_requests = 1000;  // per pool; more are answered 503
  // False for the standalone Alertmanager: no time-series routes, and
  // /-/ready answers without a storage.
  bool data_api = true;
  // A read-only query node (--read-only): remote write and the admin
  // endpoints that change data answer 405.
  bool read_only = false;
};

// The configuration file as last loaded, for /api/v1/status/config and
// runtimeinfo.
struct ConfigStatus {
  std::string yaml;  // the file's text; empty without a file
  bool reload_success = true;
  std::chrono::system_clock::time_point loaded_at;
};

// What the status endpoints report beyond the storage (api_status.cc).
struct StatusInfo {
  // Every flag of `mytsdb serve` (without its dashes) and its effective
  // value, after the configuration file and the command line.
  std::vector<std::pair<std::string, std::string>> flags;
  std::string storage_retention;  // "15d", "15d or 10GiB"
  std::chrono::system_clock::time_point start_time = std::chrono::system_clock::now();
  // Called per request; empty: no configuration file.
  std::function<ConfigStatus()> config;
};

class Server {
 public:
  // `registry` must outlive the server.
  Server(const ServerOptions& options, telemetry::Registry* registry);
  ~Server();

  // Loads the web config and binds the listening socket; IOError if the
  // address is taken, InvalidArgument for a bad web config.
  Status Bind();
  int port() const { return port_; }
  const ServerOptions& options() const { return options_; }
  // Makes the data endpoints available. `storage` must outlive the server or
  // be reset to nullptr before it is destroyed.
  void SetStorage(storage::Storage* storage) { storage_.store(storage); }
  // Makes /api/v1/sql available, as SetStorage the data endpoints.
  void SetSqlEngine(const sql::SqlEngine* engine) { sql_.store(engine); }
  // Called (once) when /-/quit is requested.
  void SetQuitHandler(std::function<void()> on_quit) { on_quit_ = std::move(on_quit); }
  // Called by /-/reload (after the web config): reloads the configuration
  // and rules; its error is the reload's answer. Set before Run().
  void SetReloadHandler(std::function<Status()> reload) { on_reload_ = std::move(reload); }
  // Called by /api/v1/admin/tsdb/snapshot after the storage's snapshot
  // `name` (DATA/snapshots/NAME) is written, to add what the server keeps
  // beside the storage (the alert history); its error fails the request.
  // Set before Run().
  void SetSnapshotHandler(std::function<Status(const std::string& name)> handler) {
    on_snapshot_ = std::move(handler);
  }
  // /api/v1/rules and /api/v1/alerts read the rules the getter returns
  // (none: empty lists). Set before Run().
  void SetRules(std::function<std::shared_ptr<const rules::Manager>()> rules) { rules_ = std::move(rules); }
  // What /api/v1/status/{flags,config,runtimeinfo} report. Set before Run().
  void SetStatusInfo(StatusInfo info) { status_ = std::move(info); }
  // Serves the web UI's files from `dir` (ui_files.h) for GET paths that
  // are not the API's (/api/..., /-/...). Set before Run().
  void SetUiDirectory(const std::string& dir);
  // Routes served by another part (the built-in Alertmanager's API v2),
  // with the server's limits, pools and metrics; `pattern` may hold one
  // "([^/]+)" parameter (Request::matches[1]). Add before Run().
  using ExternalHandler = std::function<void(const Request&, Response&)>;
  enum class Pool { kInline, kIngest, kQuery, kAdmin };
  void AddRoute(const char* method, const char* pattern, std::string label, ExternalHandler handler, Pool pool);

  // Serves until Stop(); call from a dedicated thread.
  void Run();
  // Stops accepting connections, finishes requests in flight. Thread-safe.
  void Stop();

 // Internals shared with the connection code (server_impl.h).
  struct Impl;
  using Handler = void (Server::*)(const Request&, Response&);

 private:
  friend struct Impl;
  void Route(const char* method, const char* pattern, std::string handler_label, Handler handler,
             Pool pool);
  // Returns the storage, or answers 503 and returns nullptr while starting up.
  storage::Storage* StorageOr503(Response& res);

  void HandleHealthy(const Request&, Response&);
  void HandleReady(const Request&, Response&);
  void HandleMetrics(const Request&, Response&);
  void HandleReload(const Request&, Response&);
  void HandleQuit(const Request&, Response&);
  void HandleWrite(const Request&, Response&);
  // 405 for what changes data, on a read-only node.
  void HandleReadOnly(const Request&, Response&);
  void HandleSeries(const Request&, Response&);
  void HandleLabels(const Request&, Response&);
  void HandleLabelValues(const Request&, Response&);
  void HandleExport(const Request&, Response&);
  void HandleRemoteRead(const Request&, Response&);
  void HandleMetadata(const Request&, Response&);
  void HandleBuildInfo(const Request&, Response&);
  // Status endpoints (api_status.cc).
  void HandleTsdbStatus(const Request&, Response&);
  void HandleFlags(const Request&, Response&);
  void HandleConfig(const Request&, Response&);
  void HandleRuntimeInfo(const Request&, Response&);
  void HandleColdStatus(const Request&, Response&);
  void HandleRules(const Request&, Response&);
  void HandleAlerts(const Request&, Response&);
  void HandleQuery(const Request&, Response&);
  void HandleQueryRange(const Request&, Response&);
  void HandleFormatQuery(const Request&, Response&);
  void HandleParseQuery(const Request&, Response&);
  void HandleQueryExemplars(const Request&, Response&);
  void HandleSql(const Request&, Response&);
  // Admin endpoints (api_admin.cc).
  // Returns the storage if admin endpoints are enabled and the storage is
  // ready; otherwise answers 503 and returns nullptr.
  storage::Storage* AdminStorageOr503(Response& res);
  void HandleFlush(const Request&, Response&);
  void HandleCompact(const Request&, Response&);
  void HandleDeleteSeries(const Request&, Response&);
  void HandleSnapshot(const Request&, Response&);
  void HandleCleanTombstones(const Request&, Response&);

  const ServerOptions options_;
  telemetry::Registry* const registry_;
  std::unique_ptr<Impl> impl_;
  std::atomic<storage::Storage*> storage_{nullptr};
  std::atomic<const sql::SqlEngine*> sql_{nullptr};
  std::function<void()> on_quit_;
  std::function<Status()> on_reload_;
  std::function<Status(const std::string& name)> on_snapshot_;
  std::function<std::shared_ptr<const rules::Manager>()> rules_;
  StatusInfo status_;
  // Set by Stop(): running queries end (Cancelled) instead of delaying it.
  std::atomic<bool> cancel_queries_{false};
  int port_ = 0;

  telemetry::ValueFamily& requests_total_;
  telemetry::HistogramFamily& request_duration_;
  telemetry::ValueFamily& write_requests_total_;
  telemetry::ValueFamily& samples_rejected_total_;
};

}  // namespace mytsdb::http
