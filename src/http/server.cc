// Server: routes, worker pools, the listening socket, and the endpoints that
// are about the server itself (health, metrics, build info, lifecycle).
#include "http/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include "http/api_util.h"
#include "http/server_impl.h"
#include "http/ui_files.h"
#include "http/tls.h"

namespace mytsdb::http {

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// Buckets for request durations in seconds (as Prometheus's own).
const std::vector<double> kDurationBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1,    0.25,  0.5,    1,     2.5,  5,     10,  30};

}  // namespace

Server::Server(const ServerOptions& options, telemetry::Registry* registry)
    : options_(options),
      registry_(registry),
      impl_(std::make_unique<Impl>(this)),
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
          "too_far_in_future, beyond_retention, series_limit, series_per_metric_limit).",
          {"reason"})) {
  Route("GET", "/-/healthy", "/-/healthy", &Server::HandleHealthy, Pool::kInline);
  Route("GET", "/-/ready", "/-/ready", &Server::HandleReady, Pool::kInline);
  Route("GET", "/metrics", "/metrics", &Server::HandleMetrics, Pool::kAdmin);
  for (const char* method : {"POST", "PUT"}) {
    Route(method, "/-/reload", "/-/reload", &Server::HandleReload, Pool::kAdmin);
    Route(method, "/-/quit", "/-/quit", &Server::HandleQuit, Pool::kInline);
  }
  // The standalone Alertmanager serves no time series: no data routes.
  if (options_.data_api) {
    // What changes data, unless this is a read-only node.
    auto writing = [this](Handler handler) { return options_.read_only ? &Server::HandleReadOnly : handler; };
    Route("POST", "/api/v1/write", "/api/v1/write", writing(&Server::HandleWrite), Pool::kIngest);
    Route("POST", "/api/v1/read", "/api/v1/read", &Server::HandleRemoteRead, Pool::kQuery);
    // Admin endpoints (only with --web.enable-admin-api, as in Prometheus).
    for (const char* method : {"POST", "PUT"}) {
      Route(method, "/api/v1/admin/flush", "/api/v1/admin/flush", writing(&Server::HandleFlush), Pool::kAdmin);
      Route(method, "/api/v1/admin/compact", "/api/v1/admin/compact", writing(&Server::HandleCompact),
            Pool::kAdmin);
      Route(method, "/api/v1/admin/tsdb/delete_series", "/api/v1/admin/tsdb/delete_series",
            writing(&Server::HandleDeleteSeries), Pool::kAdmin);
      Route(method, "/api/v1/admin/tsdb/snapshot", "/api/v1/admin/tsdb/snapshot",
            writing(&Server::HandleSnapshot), Pool::kAdmin);
      Route(method, "/api/v1/admin/tsdb/clean_tombstones", "/api/v1/admin/tsdb/clean_tombstones",
            writing(&Server::HandleCleanTombstones), Pool::kAdmin);
    }
    for (const char* method : {"GET", "POST"}) {
      Route(method, "/api/v1/series", "/api/v1/series", &Server::HandleSeries, Pool::kQuery);
      Route(method, "/api/v1/labels", "/api/v1/labels", &Server::HandleLabels, Pool::kQuery);
      Route(method, "/api/v1/label/([^/]+)/values", "/api/v1/label/:name/values",
            &Server::HandleLabelValues, Pool::kQuery);
      Route(method, "/api/v1/export", "/api/v1/export", &Server::HandleExport, Pool::kQuery);
      Route(method, "/api/v1/metadata", "/api/v1/metadata", &Server::HandleMetadata, Pool::kQuery);
      Route(method, "/api/v1/query", "/api/v1/query", &Server::HandleQuery, Pool::kQuery);
      Route(method, "/api/v1/query_range", "/api/v1/query_range", &Server::HandleQueryRange,
            Pool::kQuery);
      Route(method, "/api/v1/format_query", "/api/v1/format_query", &Server::HandleFormatQuery,
            Pool::kQuery);
      Route(method, "/api/v1/parse_query", "/api/v1/parse_query", &Server::HandleParseQuery,
            Pool::kQuery);
      Route(method, "/api/v1/query_exemplars", "/api/v1/query_exemplars",
            &Server::HandleQueryExemplars, Pool::kQuery);
      Route(method, "/api/v1/sql", "/api/v1/sql", &Server::HandleSql, Pool::kQuery);
    }
    Route("GET", "/api/v1/status/buildinfo", "/api/v1/status/buildinfo", &Server::HandleBuildInfo,
          Pool::kInline);
    Route("GET", "/api/v1/status/tsdb", "/api/v1/status/tsdb", &Server::HandleTsdbStatus, Pool::kQuery);
    Route("GET", "/api/v1/status/flags", "/api/v1/status/flags", &Server::HandleFlags, Pool::kInline);
    Route("GET", "/api/v1/status/config", "/api/v1/status/config", &Server::HandleConfig, Pool::kInline);
    Route("GET", "/api/v1/status/runtimeinfo", "/api/v1/status/runtimeinfo", &Server::HandleRuntimeInfo,
          Pool::kInline);
    Route("GET", "/api/v1/status/cold", "/api/v1/status/cold", &Server::HandleColdStatus, Pool::kQuery);
    Route("GET", "/api/v1/rules", "/api/v1/rules", &Server::HandleRules, Pool::kAdmin);
    Route("GET", "/api/v1/alerts", "/api/v1/alerts", &Server::HandleAlerts, Pool::kAdmin);
  }

  auto counters = impl_->counters;
  registry_->AddCollector([counters](telemetry::TextWriter* w) {
    auto gauge = [w](const char* name, const char* help, double v) {
      w->Family(name, "gauge", help);
      w->Sample(name, {}, v);
    };
    auto counter = [w](const char* name, const char* help, double v) {
      w->Family(name, "counter", help);
      w->Sample(name, {}, v);
    };
    gauge("mytsdb_http_open_connections", "HTTP connections open now.",
          counters->open_connections.load());
    counter("mytsdb_http_connections_total", "HTTP connections accepted.",
            counters->connections_total.load());
    counter("mytsdb_http_requests_refused_total",
            "Requests answered 503 because their worker pool's queue was full.",
            counters->refused_total.load());
    counter("mytsdb_http_connections_evicted_total",
            "Connections waiting for a request, closed to admit new ones at --web.max-connections.",
            counters->evicted_total.load());
    counter("mytsdb_http_request_timeouts_total",
            "Connections closed because a request did not arrive within the read timeout.",
            counters->timeouts_total.load());
    counter("mytsdb_http_requests_too_large_total", "Requests refused for their size (413, 431).",
            counters->too_large_total.load());
    counter("mytsdb_http_unauthorized_total", "Requests refused by basic authentication (401).",
            counters->unauthorized_total.load());
    counter("mytsdb_http_cross_site_refused_total",
            "State-changing requests refused because a page of another site sent them (403).",
            counters->cross_site_total.load());
    counter("mytsdb_http_tls_handshake_failures_total",
            "TLS handshakes that failed (or client certificates refused).",
            counters->tls_handshake_failures_total.load());
    counter("mytsdb_http_requests_abandoned_total",
            "Requests whose client closed the connection while they ran; a query among them stops "
            "at its next check instead of finishing.",
            counters->abandoned_total.load());
  });
}

Server::~Server() {
  Stop();
  // Worker pools finish what they run before the server's state goes.
  impl_->ingest_pool.reset();
  impl_->query_pool.reset();
  impl_->admin_pool.reset();
}

void Server::Route(const char* method, const char* pattern, std::string label, Handler handler,
                   Pool pool) {
  RouteEntry r;
  r.method = method;
  std::string p = pattern;
  size_t param = p.find("([^/]+)");
  if (param != std::string::npos) {
    r.has_param = true;
    r.prefix = p.substr(0, param);
    r.suffix = p.substr(param + 7);
  } else {
    r.prefix = p;
  }
  r.label = std::move(label);
  r.handler = handler;
  r.pool = static_cast<int>(pool);
  r.body_limit = pool == Pool::kIngest ? options_.max_write_body_bytes : options_.max_body_bytes;
  impl_->routes.push_back(std::move(r));
}

void Server::AddRoute(const char* method, const char* pattern, std::string label, ExternalHandler handler,
                      Pool pool) {
  Route(method, pattern, std::move(label), nullptr, pool);
  impl_->routes.back().external = std::move(handler);
}

void Server::SetUiDirectory(const std::string& dir) {
  RouteEntry ui;
  ui.method = "GET";
  ui.label = "/ui";
  ui.pool = static_cast<int>(Pool::kQuery);
  ui.external = [dir, prefix = options_.route_prefix](const Request& req, Response& res) {
    ServeUiFile(dir, prefix, req.matches.size() > 1 ? req.matches[1] : "/", res);
  };
  impl_->ui_route = std::move(ui);
}

const RouteEntry* Server::Impl::FindRoute(const std::string& method, const std::string& full_path,
                                          std::vector<std::string>* matches,
                                          bool* path_exists) const {
  // Under --web.route-prefix, the routes are there and nowhere else.
  std::string path = full_path;
  const std::string& prefix = server->options_.route_prefix;
  if (!prefix.empty()) {
    // As Prometheus: the root and the bare prefix lead to the UI's home
    // under the prefix (the UI's handler redirects an empty path).
    if (ui_route && (path == "/" || path == prefix)) {
      *path_exists = true;
      if (method != "GET") return nullptr;
      matches->assign({full_path, ""});
      return &*ui_route;
    }
    if (!path.starts_with(prefix) || path.size() == prefix.size() || path[prefix.size()] != '/') return nullptr;
    path.erase(0, prefix.size());
  }
  for (const RouteEntry& r : routes) {
    bool match;
    std::string param;
    if (!r.has_param) {
      match = path == r.prefix;
    } else {
      match = path.size() > r.prefix.size() + r.suffix.size() && path.starts_with(r.prefix) &&
              path.ends_with(r.suffix);
      if (match) {
        param = path.substr(r.prefix.size(), path.size() - r.prefix.size() - r.suffix.size());
        match = param.find('/') == std::string::npos;
      }
    }
    if (!match) continue;
    *path_exists = true;
    if (r.method != method) continue;
    matches->assign({full_path});
    if (r.has_param) matches->push_back(param);
    return &r;
  }
  // The UI has every other page, not the API's paths.
  if (ui_route && !*path_exists && path.starts_with("/") && !path.starts_with("/api/") && !path.starts_with("/-/")) {
    *path_exists = true;
    if (method != "GET") return nullptr;
    matches->assign({full_path, path});
    return &*ui_route;
  }
  return nullptr;
}

WorkerPool* Server::Impl::PoolFor(int pool) {
  switch (static_cast<Pool>(pool)) {
    case Pool::kInline: return nullptr;
    case Pool::kIngest: return ingest_pool.get();
    case Pool::kQuery: return query_pool.get();
    case Pool::kAdmin: return admin_pool.get();
  }
  return nullptr;
}

Response Server::Impl::Invoke(const RouteEntry& route, const Request& req) {
  Response res;
  auto start = std::chrono::steady_clock::now();
  try {
    if (route.external) {
      route.external(req, res);
    } else {
      (server->*route.handler)(req, res);
    }
  } catch (const std::exception& e) {
    spdlog::error("http: {} {}: {}", req.method, req.path, e.what());
    res = Response();
    res.status = 500;
    res.set_content("internal error: " + std::string(e.what()) + "\n", "text/plain");
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  server->request_duration_.Observe({route.label}, seconds);
  server->requests_total_.Add({route.label, std::to_string(res.status)}, 1);
  return res;
}

std::shared_ptr<const WebConfig> Server::Impl::WebConfigNow() {
  return web_config ? web_config->Current() : nullptr;
}

std::shared_ptr<boost::asio::ssl::context> Server::Impl::TlsContext() {
  std::shared_ptr<const WebConfig> config = WebConfigNow();
  std::lock_guard<std::mutex> lock(mu_);
  if (config == tls_config_ && tls_context_) return tls_context_;
  if (!config || !config->tls) {
    spdlog::error("http: the web config has no tls_server_config any more; TLS needs it "
                  "(restart to serve plain HTTP)");
    return tls_context_;
  }
  auto ctx = MakeTlsContext(*config->tls);
  tls_config_ = config;
  if (!ctx.ok()) {
    spdlog::error("http: TLS settings of the web config do not load, keeping the previous ones: {}",
                  ctx.status().ToString());
    return tls_context_;
  }
  tls_context_ = *ctx;
  return tls_context_;
}

void Server::Impl::Register(const std::shared_ptr<SessionBase>& session) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_[session.get()] = session;
}

void Server::Impl::OnSessionEnd() {
  counters->open_connections.fetch_sub(1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = it->second.expired() ? sessions_.erase(it) : std::next(it);
    }
    if (accepting_ || stopping_) return;
  }
  // A slot is free again: resume accepting.
  net::post(ioc, [this] { Accept(); });
}

void Server::Impl::Accept() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || accepting_ || !acceptor) return;
    accepting_ = true;
  }
  // At the limit, a connection that only waits for a request makes room;
  // if all are busy, new ones wait in the kernel's backlog (as with Go's
  // LimitListener, which Prometheus uses) until one closes.
  if (counters->open_connections.load() >= server->options_.max_connections &&
      !EvictLongestWaiting()) {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_ = false;
    return;
  }
  acceptor->async_accept(net::make_strand(ioc), [this](boost::system::error_code ec,
                                                       tcp::socket socket) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      accepting_ = false;
      if (stopping_) return;
    }
    if (!ec) {
      StartSession(this, std::move(socket));
    } else if (ec == net::error::operation_aborted) {
      return;
    } else {
      spdlog::warn("http: accept failed: {}", ec.message());
    }
    Accept();
  });
}

bool Server::Impl::EvictLongestWaiting() {
  std::shared_ptr<SessionBase> victim;
  std::chrono::steady_clock::time_point oldest = std::chrono::steady_clock::time_point::max();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [ptr, weak] : sessions_) {
      auto s = weak.lock();
      if (!s) continue;
      auto since = s->waiting_since();
      if (since && *since < oldest) {
        oldest = *since;
        victim = std::move(s);
      }
    }
  }
  if (!victim) return false;
  counters->evicted_total.fetch_add(1);
  victim->Shutdown();
  return true;
}

Status Server::Bind() {
  if (!options_.web_config_file.empty()) {
    ASSIGN_OR_RETURN(impl_->web_config, WebConfigWatcher::Open(options_.web_config_file));
    auto config = impl_->web_config->Current();
    if (config->tls) {
      // Checked now, so that a bad certificate stops the start with a message.
      auto made = MakeTlsContext(*config->tls);
      if (!made.ok()) return made.status().WithContext(options_.web_config_file);
      auto ctx = *made;
      impl_->tls = true;
      impl_->tls_config_ = config;
      impl_->tls_context_ = ctx;
    }
  }
  boost::system::error_code ec;
  auto address = net::ip::make_address(options_.host == "0.0.0.0" ? "0.0.0.0" : options_.host, ec);
  if (ec) {
    // A host name: resolve it.
    tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(options_.host, std::to_string(options_.port), ec);
    if (ec || results.empty()) {
      return Status::IOError("cannot listen on " + options_.host + ": " + ec.message());
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
  impl_->acceptor.emplace(impl_->ioc);
  impl_->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(endpoint, ec);
  if (!ec) impl_->acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    impl_->acceptor.reset();
    return Status::IOError("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                           ": " + ec.message());
  }
  port_ = impl_->acceptor->local_endpoint().port();
  // Remote write at the process's priority; queries and reads at the lowest
  // (nice +19), so that heavy queries take CPU ingestion does not use.
  impl_->ingest_pool = std::make_unique<WorkerPool>("ingest", options_.ingest_threads,
                                                    options_.max_queued_requests, 0);
  int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int query_threads = std::min(options_.max_query_concurrency,
                               options_.query_threads > 0 ? options_.query_threads : cpus);
  impl_->query_pool = std::make_unique<WorkerPool>("query", query_threads,
                                                   options_.max_queued_requests, 19);
  impl_->admin_pool = std::make_unique<WorkerPool>("admin", 2, options_.max_queued_requests, 0);
  return Status::OK();
}

void Server::Run() {
  if (!impl_->acceptor) return;
  impl_->Accept();
  std::vector<std::thread> threads;
  for (int i = 1; i < std::max(options_.io_threads, 1); ++i) {
    threads.emplace_back([this] { impl_->ioc.run(); });
  }
  impl_->ioc.run();
  for (std::thread& t : threads) t.join();
}

void Server::Stop() {
  cancel_queries_.store(true);
  std::vector<std::shared_ptr<SessionBase>> sessions;
  {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    if (impl_->stopping_) return;
    impl_->stopping_ = true;
    for (auto& [ptr, weak] : impl_->sessions_) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
  }
  net::post(impl_->ioc, [this] {
    boost::system::error_code ec;
    if (impl_->acceptor) impl_->acceptor->close(ec);
  });
  // Idle connections close now, busy ones after their response.
  for (auto& s : sessions) s->Shutdown();
}

storage::Storage* Server::StorageOr503(Response& res) {
  storage::Storage* storage = storage_.load();
  if (storage == nullptr) {
    WriteApiError(res, 503, "unavailable", "MyTSDB is starting up (replaying the WAL)");
  }
  return storage;
}

void Server::HandleHealthy(const Request&, Response& res) {
  res.set_content("MyTSDB is Healthy.\n", "text/plain");
}

void Server::HandleReady(const Request&, Response& res) {
  if (options_.data_api && storage_.load() == nullptr) {
    res.status = 503;
    res.set_content("Service Unavailable\n", "text/plain");
    return;
  }
  res.set_content("MyTSDB is Ready.\n", "text/plain");
}

void Server::HandleMetrics(const Request&, Response& res) {
  res.set_content(registry_->Render(), "text/plain; version=0.0.4; charset=utf-8");
}

void Server::HandleReload(const Request&, Response& res) {
  if (!options_.enable_lifecycle) {
    res.status = 403;
    return res.set_content("Lifecycle API is not enabled.\n", "text/plain");
  }
  Status st = impl_->web_config ? impl_->web_config->Reload() : Status::OK();
  if (st.ok() && on_reload_) st = on_reload_();
  if (!st.ok()) {
    res.status = 500;
    return res.set_content("failed to reload config: " + st.message() + "\n", "text/plain");
  }
  res.set_content("", "text/plain");
}

void Server::HandleQuit(const Request&, Response& res) {
  if (!options_.enable_lifecycle) {
    res.status = 403;
    return res.set_content("Lifecycle API is not enabled.\n", "text/plain");
  }
  res.set_content("Requesting termination... Goodbye!\n", "text/plain");
  if (on_quit_) on_quit_();
}

void Server::HandleBuildInfo(const Request&, Response& res) {
  // Grafana reads this; a non-empty "features" would make it treat us as
  // another product, so there is none.
  WriteApiSuccess(res, "{\"version\":\"" + options_.version +
                           "\",\"revision\":\"\",\"branch\":\"\",\"buildUser\":\"\","
                           "\"buildDate\":\"\",\"goVersion\":\"\"}");
}

}  // namespace mytsdb::http
