// One PostgreSQL client connection: start-up (TLS, authentication), then
// simple and extended queries run on the SQL engine (docs/SQL.md,
// "PostgreSQL"), until the client leaves.
//
// What drivers send around their queries is answered here, not by DuckDB:
// SET of session settings (a known list, accepted as no-ops), SHOW of the
// usual ones, BEGIN/COMMIT/ROLLBACK (every statement is a read), DISCARD,
// and version() in PostgreSQL's shape (SQLAlchemy parses it).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mytsdb::sql {
class SqlEngine;
}  // namespace mytsdb::sql

namespace mytsdb::pgwire {

// The connection's bytes: plain TCP, or TLS once started.
class Channel {
 public:
  virtual ~Channel() = default;
  // Reads exactly n bytes; an error (Unavailable when the peer closed).
  virtual Status ReadExactly(char* buf, size_t n) = 0;
  virtual Status Write(std::string_view data) = 0;
  // Whether StartTls can succeed (the server has a certificate).
  virtual bool tls_available() const = 0;
  virtual Status StartTls() = 0;
  virtual bool is_tls() const = 0;
};

// Running sessions by process id and secret, for cancel requests (which
// arrive on a connection of their own).
class CancelRegistry {
 public:
  // A new (process id, secret) for a session whose queries stop when
  // `flag` is set.
  std::pair<int32_t, int32_t> Register(std::shared_ptr<std::atomic<bool>> flag);
  void Unregister(int32_t process_id);
  // Sets the flag of the session with that id and secret; false if none.
  bool Cancel(int32_t process_id, int32_t secret);

 private:
  std::mutex mu_;
  int32_t next_id_ = 1;
  std::map<int32_t, std::pair<int32_t, std::shared_ptr<std::atomic<bool>>>> sessions_;  // guarded by mu_
};

struct SessionOptions {
  const sql::SqlEngine* engine = nullptr;
  // Checks a user's password (bcrypt, the web config's users); null: no
  // authentication. Passwords are asked for only over TLS.
  std::function<bool(const std::string& user, const std::string& password)> check_password;
  std::string version = "0.1.0";  // MyTSDB's
  const std::atomic<bool>* shutdown = nullptr;
};

// Serves one connection until the client terminates or the connection
// fails.
void ServeSession(Channel& channel, const SessionOptions& options, CancelRegistry* cancels);

}  // namespace mytsdb::pgwire
