// The HTTP server: Prometheus-compatible API, remote-write ingestion, health
// and the server's own metrics. See docs/API.md for every endpoint.
//
// The server starts listening before the head is ready so that health checks
// answer while the WAL replays: until SetStorage() is called, /-/ready and every
// data endpoint answer 503.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/status.h"
#include "promql/engine.h"
#include "storage/storage.h"
#include "model/labels.h"
#include "telemetry/metrics.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace mytsdb::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 9663;  // 0 picks a free port
  // Compressed remote-write bodies above this get 413.
  size_t max_write_body_bytes = 32 << 20;
  // Decompressed remote-write payloads above this get 413.
  size_t max_write_decompressed_bytes = 256 << 20;
  model::Labels::NameScheme name_scheme = model::Labels::NameScheme::kUtf8;
  int threads = 32;  // connections served at once (an idle keep-alive one holds a thread up to 5 s)
  std::string version = "0.1.0";
  // Cardinality limits, for the messages of refused writes (0: none).
  uint64_t max_series = 0;
  uint64_t max_series_per_metric = 0;
  // /api/v1/admin/* answer 503 unless set (--web.enable-admin-api).
  bool enable_admin_api = false;
  // PromQL: lookback, sample limit and timeout (Prometheus's defaults).
  promql::EngineOptions engine = [] {
    promql::EngineOptions o;
    o.timeout_ms = 120'000;
    return o;
  }();
};

class Server {
 public:
  // `registry` must outlive the server.
  Server(const ServerOptions& options, telemetry::Registry* registry);
  ~Server();

  // Binds the listening socket; IOError if the address is taken.
  Status Bind();
  int port() const { return port_; }
  // Makes the data endpoints available. `storage` must outlive the server or
  // be reset to nullptr before it is destroyed.
  void SetStorage(storage::Storage* storage) { storage_.store(storage); }
  // Serves until Stop(); call from a dedicated thread.
  void Run();
  // Stops accepting connections; in-flight requests finish. Thread-safe.
  void Stop();

 private:
  using Handler = void (Server::*)(const httplib::Request&, httplib::Response&);
  void Route(const char* method, const char* pattern, std::string handler_label,
             Handler handler);
  // Returns the storage, or answers 503 and returns nullptr while starting up.
  storage::Storage* StorageOr503(httplib::Response& res);

  void HandleHealthy(const httplib::Request&, httplib::Response&);
  void HandleReady(const httplib::Request&, httplib::Response&);
  void HandleMetrics(const httplib::Request&, httplib::Response&);
  void HandleWrite(const httplib::Request&, httplib::Response&);
  void HandleSeries(const httplib::Request&, httplib::Response&);
  void HandleLabels(const httplib::Request&, httplib::Response&);
  void HandleLabelValues(const httplib::Request&, httplib::Response&);
  void HandleExport(const httplib::Request&, httplib::Response&);
  void HandleMetadata(const httplib::Request&, httplib::Response&);
  void HandleBuildInfo(const httplib::Request&, httplib::Response&);
  void HandleQuery(const httplib::Request&, httplib::Response&);
  void HandleQueryRange(const httplib::Request&, httplib::Response&);
  void HandleFormatQuery(const httplib::Request&, httplib::Response&);
  void HandleParseQuery(const httplib::Request&, httplib::Response&);
  void HandleQueryExemplars(const httplib::Request&, httplib::Response&);
  // Admin endpoints (api_admin.cc).
  // Returns the storage if admin endpoints are enabled and the storage is
  // ready; otherwise answers 503 and returns nullptr.
  storage::Storage* AdminStorageOr503(httplib::Response& res);
  void HandleFlush(const httplib::Request&, httplib::Response&);
  void HandleCompact(const httplib::Request&, httplib::Response&);
  void HandleDeleteSeries(const httplib::Request&, httplib::Response&);
  void HandleSnapshot(const httplib::Request&, httplib::Response&);
  void HandleCleanTombstones(const httplib::Request&, httplib::Response&);

  const ServerOptions options_;
  telemetry::Registry* const registry_;
  std::unique_ptr<httplib::Server> http_;
  std::atomic<storage::Storage*> storage_{nullptr};
  int port_ = 0;

  telemetry::ValueFamily& requests_total_;
  telemetry::HistogramFamily& request_duration_;
  telemetry::ValueFamily& write_requests_total_;
  telemetry::ValueFamily& samples_rejected_total_;
};

}  // namespace mytsdb::http
