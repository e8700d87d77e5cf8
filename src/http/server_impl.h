// The parts of Server that the connection code (connection.cc) and the
// routing code (server.cc) share. Private to the http module.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/basic_auth.h"
#include "http/relay.h"
#include "http/server.h"
#include "http/web_config.h"
#include "http/worker_pool.h"

namespace mytsdb::http {

// What a matched route says about a request.
struct RouteEntry {
  std::string method;
  std::string prefix;   // the whole path, or what comes before the one parameter
  std::string suffix;   // after the parameter (has_param)
  bool has_param = false;
  std::string label;    // for metrics
  Server::Handler handler = nullptr;
  Server::ExternalHandler external;  // set instead of handler (AddRoute)
  int pool = 0;         // Server::Pool
  size_t body_limit = 0;
};

// Counters shared with the metrics collector (which may outlive a Server).
struct ServerCounters {
  std::atomic<int64_t> open_connections{0};
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> refused_total{0};          // a worker pool's queue was full
  std::atomic<uint64_t> timeouts_total{0};         // a request did not arrive in time
  std::atomic<uint64_t> evicted_total{0};          // closed at the limit while waiting
  std::atomic<uint64_t> too_large_total{0};        // 413 / 431
  std::atomic<uint64_t> unauthorized_total{0};     // 401
  std::atomic<uint64_t> cross_site_total{0};       // 403 (same_origin.h)
  std::atomic<uint64_t> tls_handshake_failures_total{0};
  std::atomic<uint64_t> abandoned_total{0};        // the client left while its request ran
};

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes an idle connection now, a busy one after its response.
  virtual void Shutdown() = 0;
  // Since when the connection has been waiting for a request (its next one,
  // or a first one that has not arrived whole); nullopt while it has a
  // request in hand.
  std::optional<std::chrono::steady_clock::time_point> waiting_since() const {
    int64_t ns = waiting_since_ns_.load(std::memory_order_relaxed);
    if (ns < 0) return std::nullopt;
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
  }

 protected:
  void SetWaiting(bool waiting) {
    waiting_since_ns_.store(
        waiting ? std::chrono::steady_clock::now().time_since_epoch().count() : -1,
        std::memory_order_relaxed);
  }

 private:
  std::atomic<int64_t> waiting_since_ns_{-1};
};

struct Server::Impl {
  explicit Impl(Server* s) : server(s), counters(std::make_shared<ServerCounters>()) {}

  // The route for a request; nullptr if none (then *path_exists tells 404
  // from 405).
  const RouteEntry* FindRoute(const std::string& method, const std::string& path,
                              std::vector<std::string>* matches, bool* path_exists) const;
  // The TLS context for a new connection, following the web config (null:
  // plain HTTP).
  std::shared_ptr<boost::asio::ssl::context> TlsContext();
  // The web config now (null without a file).
  std::shared_ptr<const WebConfig> WebConfigNow();
  // The worker pool of a route's kind; null: run on the I/O thread.
  WorkerPool* PoolFor(int pool);
  // Runs the route's handler (on a worker), with the request metrics.
  Response Invoke(const RouteEntry& route, const Request& req);

  void Accept();
  // At the connection limit: closes the connection that has waited longest
  // for a request, so that silent clients cannot keep new ones out. False
  // if every connection is busy with a request.
  bool EvictLongestWaiting();
  void OnSessionEnd();
  void Register(const std::shared_ptr<SessionBase>& session);

  Server* const server;
  std::shared_ptr<ServerCounters> counters;
  boost::asio::io_context ioc;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor;
  std::vector<RouteEntry> routes;
  // The web UI's files, for GET paths no route has (SetUiDirectory).
  std::optional<RouteEntry> ui_route;
  // Declared before the pools: destroyed after them, as their tasks use it.
  Relay relay;
  std::unique_ptr<WorkerPool> ingest_pool, query_pool, admin_pool;
  std::unique_ptr<WebConfigWatcher> web_config;
  BasicAuthenticator authenticator;
  bool tls = false;  // decided at Bind from the web config

  std::mutex mu_;
  std::shared_ptr<const WebConfig> tls_config_;                // guarded by mu_
  std::shared_ptr<boost::asio::ssl::context> tls_context_;     // guarded by mu_
  std::map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;  // guarded by mu_
  bool accepting_ = false;   // an accept is pending; guarded by mu_
  bool stopping_ = false;    // guarded by mu_
};

// Starts serving an accepted connection (connection.cc).
void StartSession(Server::Impl* impl, boost::asio::ip::tcp::socket socket);

}  // namespace mytsdb::http
