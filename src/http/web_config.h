// The web configuration file (--web.config.file) in the format Prometheus,
// Alertmanager and the exporters share (prometheus/exporter-toolkit):
//
//   tls_server_config:
//     cert_file / key_file        (or cert / key inline, PEM)
//     client_auth_type            NoClientCert (default), RequestClientCert,
//                                 RequireAnyClientCert, VerifyClientCertIfGiven,
//                                 RequireAndVerifyClientCert
//     client_ca_file              (or client_ca inline)
//     client_allowed_sans         a client certificate must name one of these
//     min_version / max_version   TLS10 .. TLS13 (default TLS12 .. TLS13)
//     cipher_suites               IANA names (TLS 1.0-1.2)
//     curve_preferences           X25519, CurveP256, CurveP384, CurveP521
//     prefer_server_cipher_suites
//   http_server_config:
//     http2                       accepted, ignored (MyTSDB speaks HTTP/1.1)
//     headers                     extra response headers (the security ones)
//   basic_auth_users:
//     <user>: <bcrypt hash>
//
// Relative file names are relative to the file's directory. Unknown keys are
// errors, as in exporter-toolkit. WebConfigWatcher re-reads the file (and the
// files it names) when they change; a file that does not load leaves the last
// good configuration in place.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace mytsdb::http {

enum class ClientAuth {
  kNone,               // NoClientCert
  kRequest,            // RequestClientCert: asked for, not verified
  kRequireAny,         // RequireAnyClientCert: required, not verified
  kVerifyIfGiven,      // VerifyClientCertIfGiven
  kRequireAndVerify,   // RequireAndVerifyClientCert
};

struct TlsServerConfig {
  std::string cert_pem;
  std::string key_pem;
  ClientAuth client_auth = ClientAuth::kNone;
  std::string client_ca_pem;
  std::vector<std::string> client_allowed_sans;
  int min_version = 0x0303;  // TLS 1.2, as exporter-toolkit's default
  int max_version = 0x0304;  // TLS 1.3
  std::vector<std::string> cipher_suites;
  std::vector<std::string> curve_preferences;
  bool prefer_server_cipher_suites = true;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> files;  // the files it was read from (for change detection)
};

// Parses the YAML text of a web config; `dir` resolves relative file names.
// InvalidArgument (naming the key) for anything exporter-toolkit refuses.
Result<WebConfig> ParseWebConfig(const std::string& yaml, const std::string& dir);
Result<WebConfig> LoadWebConfig(const std::string& path);

// Keeps the current web configuration of a file, re-reading it when the file
// or one it names changes (checked at most once per `check_every`).
// Thread-safe.
class WebConfigWatcher {
 public:
  // Loads the file; the error if it does not load (the server does not start).
  static Result<std::unique_ptr<WebConfigWatcher>> Open(
      const std::string& path, std::chrono::milliseconds check_every = std::chrono::seconds(1));

  // The configuration now; what changes between calls is a new object.
  std::shared_ptr<const WebConfig> Current();
  // Re-reads the file now (/-/reload). The error if it does not load; the
  // previous configuration stays then.
  Status Reload();
  uint64_t reloads() const;
  uint64_t failed_reloads() const;

 private:
  explicit WebConfigWatcher(std::string path, std::chrono::milliseconds check_every)
      : path_(std::move(path)), check_every_(check_every) {}
  // mtime and size of the file and of those it names.
  std::string Fingerprint(const std::vector<std::string>& files) const;

  const std::string path_;
  const std::chrono::milliseconds check_every_;
  mutable std::mutex mu_;
  std::shared_ptr<const WebConfig> current_;  // guarded by mu_
  std::string fingerprint_;                   // guarded by mu_
  std::chrono::steady_clock::time_point last_check_;  // guarded by mu_
  uint64_t reloads_ = 0, failed_reloads_ = 0;  // guarded by mu_
};

}  // namespace mytsdb::http
