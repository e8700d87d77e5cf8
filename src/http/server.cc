#include "http/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "http/api_util.h"

namespace mytsdb::http {

namespace {
// Buckets for request durations in seconds (as Prometheus's own).
const std::vector<double> kDurationBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1,    0.25,  0.5,    1,     2.5,  5,     10,  30};
}  // namespace

Server::Server(const ServerOptions& options, telemetry::Registry* registry)
    : options_(options),
      registry_(registry),
      http_(std::make_unique<httplib::Server>()),
      requests_total_(registry->Counter("mytsdb_http_requests_total",
                                        "HTTP requests served, by handler and status code.",
                                        {"handler", "code"})),
      request_duration_(registry->Histogram("mytsdb_http_request_duration_seconds",
                                            "Time to produce an HTTP response, by handler.",
                                            {"handler"}, kDurationBuckets)),
      write_requests_total_(registry->Counter(
          "mytsdb_remote_write_requests_total",
          "Remote-write requests by outcome (ok, partial, bad_request, too_large, unavailable, "
          "error).",
          {"outcome"})),
      samples_rejected_total_(registry->Counter(
          "mytsdb_remote_write_samples_rejected_total",
          "Samples refused by remote write, by reason (out_of_order, too_old, duplicate, "
          "too_far_in_future, beyond_retention).",
          {"reason"})) {
  int threads = options_.threads > 0 ? options_.threads : 32;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Responses go out in more than one write; without TCP_NODELAY, Nagle and
  // delayed ACKs stall each keep-alive request by ~40 ms.
  http_->set_tcp_nodelay(true);
  http_->set_keep_alive_max_count(100000);
  // An idle keep-alive connection holds a worker and delays shutdown by up to
  // this long (httplib checks for stop between requests only).
  http_->set_keep_alive_timeout(5);
  http_->set_read_timeout(60);
  http_->set_write_timeout(120);
  http_->set_payload_max_length(options_.max_write_body_bytes);
  http_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 413) {
      res.set_content("request body too large\n", "text/plain");
    } else if (res.status == 404 && res.body.empty()) {
      res.set_content("404 page not found\n", "text/plain");
    }
  });
  http_->set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("http: {} {}: {}", req.method, req.path, what);
        res.status = 500;
        res.set_content("internal error: " + what + "\n", "text/plain");
      });

  Route("GET", "/-/healthy", "/-/healthy", &Server::HandleHealthy);
  Route("GET", "/-/ready", "/-/ready", &Server::HandleReady);
  Route("GET", "/metrics", "/metrics", &Server::HandleMetrics);
  Route("POST", "/api/v1/write", "/api/v1/write", &Server::HandleWrite);
  // Admin endpoints (only with --web.enable-admin-api, as in Prometheus).
  for (const char* method : {"POST", "PUT"}) {
    Route(method, "/api/v1/admin/flush", "/api/v1/admin/flush", &Server::HandleFlush);
    Route(method, "/api/v1/admin/compact", "/api/v1/admin/compact", &Server::HandleCompact);
    Route(method, "/api/v1/admin/tsdb/delete_series", "/api/v1/admin/tsdb/delete_series",
          &Server::HandleDeleteSeries);
    Route(method, "/api/v1/admin/tsdb/snapshot", "/api/v1/admin/tsdb/snapshot",
          &Server::HandleSnapshot);
    Route(method, "/api/v1/admin/tsdb/clean_tombstones", "/api/v1/admin/tsdb/clean_tombstones",
          &Server::HandleCleanTombstones);
  }
  for (const char* method : {"GET", "POST"}) {
    Route(method, "/api/v1/series", "/api/v1/series", &Server::HandleSeries);
    Route(method, "/api/v1/labels", "/api/v1/labels", &Server::HandleLabels);
    Route(method, R"(/api/v1/label/([^/]+)/values)", "/api/v1/label/:name/values",
          &Server::HandleLabelValues);
    Route(method, "/api/v1/export", "/api/v1/export", &Server::HandleExport);
    Route(method, "/api/v1/metadata", "/api/v1/metadata", &Server::HandleMetadata);
    Route(method, "/api/v1/query", "/api/v1/query", &Server::HandleQuery);
    Route(method, "/api/v1/query_range", "/api/v1/query_range", &Server::HandleQueryRange);
    Route(method, "/api/v1/format_query", "/api/v1/format_query", &Server::HandleFormatQuery);
    Route(method, "/api/v1/parse_query", "/api/v1/parse_query", &Server::HandleParseQuery);
    Route(method, "/api/v1/query_exemplars", "/api/v1/query_exemplars", &Server::HandleQueryExemplars);
  }
  Route("GET", "/api/v1/status/buildinfo", "/api/v1/status/buildinfo",
        &Server::HandleBuildInfo);
}

Server::~Server() { Stop(); }

void Server::Route(const char* method, const char* pattern, std::string label, Handler handler) {
  auto wrapped = [this, handler, label](const httplib::Request& req, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    (this->*handler)(req, res);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    request_duration_.Observe({label}, seconds);
    requests_total_.Add({label, std::to_string(res.status)}, 1);
  };
  std::string m(method);
  if (m == "GET") {
    http_->Get(pattern, wrapped);
  } else if (m == "PUT") {
    http_->Put(pattern, wrapped);
  } else {
    http_->Post(pattern, wrapped);
  }
}

Status Server::Bind() {
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ <= 0) return Status::IOError("cannot listen on " + options_.host + ": no free port");
    return Status::OK();
  }
  if (!http_->bind_to_port(options_.host, options_.port)) {
    return Status::IOError("cannot listen on " + options_.host + ":" +
                           std::to_string(options_.port) +
                           " (address in use, or not an address of this machine)");
  }
  port_ = options_.port;
  return Status::OK();
}

void Server::Run() { http_->listen_after_bind(); }

void Server::Stop() {
  if (http_->is_running()) http_->stop();
}

storage::Storage* Server::StorageOr503(httplib::Response& res) {
  storage::Storage* storage = storage_.load();
  if (storage == nullptr) {
    WriteApiError(res, 503, "unavailable", "MyTSDB is starting up (replaying the WAL)");
  }
  return storage;
}

void Server::HandleHealthy(const httplib::Request&, httplib::Response& res) {
  res.set_content("MyTSDB is Healthy.\n", "text/plain");
}

void Server::HandleReady(const httplib::Request&, httplib::Response& res) {
  if (storage_.load() == nullptr) {
    res.status = 503;
    res.set_content("Service Unavailable\n", "text/plain");
    return;
  }
  res.set_content("MyTSDB is Ready.\n", "text/plain");
}

void Server::HandleMetrics(const httplib::Request&, httplib::Response& res) {
  res.set_content(registry_->Render(), "text/plain; version=0.0.4; charset=utf-8");
}

void Server::HandleBuildInfo(const httplib::Request&, httplib::Response& res) {
  // Grafana reads this; a non-empty "features" would make it treat us as
  // another product, so there is none.
  WriteApiSuccess(res, "{\"version\":\"" + options_.version +
                           "\",\"revision\":\"\",\"branch\":\"\",\"buildUser\":\"\","
                           "\"buildDate\":\"\",\"goVersion\":\"\"}");
}

}  // namespace mytsdb::http
