// PgServer: the PostgreSQL wire protocol on --pg.listen (docs/SQL.md,
// "PostgreSQL"), so that psql, Grafana's PostgreSQL data source, Metabase,
// DBeaver and every PostgreSQL driver query MyTSDB's SQL.
//
// One thread a connection, up to max_connections (more are told "too many
// connections" and closed); sessions (session.h) run on the SQL engine.
// TLS and passwords come from the caller (the web config, as for HTTP).
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "common/result.h"
#include "pgwire/session.h"

namespace mytsdb::pgwire {

struct PgServerOptions {
  std::string host = "127.0.0.1";
  int port = 5432;  // 0 picks a free one
  int max_connections = 64;
  // The TLS context for a new connection; null (or a null result): no TLS.
  std::function<std::shared_ptr<SSL_CTX>()> tls;
  // See SessionOptions::check_password.
  std::function<bool(const std::string& user, const std::string& password)> check_password;
  std::string version = "0.1.0";
};

class PgServer {
 public:
  // Listens and serves in the background. `engine` must outlive the server.
  static Result<std::unique_ptr<PgServer>> Start(const PgServerOptions& options,
                                                 const sql::SqlEngine* engine);
  ~PgServer();
  int port() const { return port_; }
  // Stops accepting, cancels running queries, closes every connection and
  // waits for their threads.
  void Stop();

 private:
  PgServer(const PgServerOptions& options, const sql::SqlEngine* engine);
  void AcceptLoop();
  void Serve(int fd);

  const PgServerOptions options_;
  const sql::SqlEngine* const engine_;
  CancelRegistry cancels_;
  std::atomic<bool> stopping_{false};
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread accept_thread_;
  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::set<int> connections_;  // guarded by mu_
  int running_ = 0;            // connection threads; guarded by mu_
};

}  // namespace mytsdb::pgwire
