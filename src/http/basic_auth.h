// HTTP basic authentication against bcrypt hashes (the web config's
// basic_auth_users), as exporter-toolkit checks it: the comparison runs in
// constant time, an unknown user costs a bcrypt like a known one, and
// successful checks are cached (bcrypt takes tens of milliseconds by design;
// without the cache every remote-write request would pay it). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace mytsdb::http {

class BasicAuthenticator {
 public:
  // Whether `authorization` (an Authorization header, "Basic <base64>")
  // names one of `users` with its password; then *user is set.
  bool Check(const std::map<std::string, std::string>& users, std::string_view authorization,
             std::string* user);

 private:
  std::mutex mu_;
  // Digests of (user, password, hash) that checked out.
  std::unordered_set<std::string> verified_;  // guarded by mu_
};

// Whether `password` matches the bcrypt `hash` ($2a$, $2b$ or $2y$).
bool BcryptMatches(std::string_view password, const std::string& hash);

}  // namespace mytsdb::http
