// Prometheus's common HTTP client configuration (prometheus/common's
// HTTPClientConfig): basic auth, Authorization credentials (or the older
// bearer_token), TLS with a CA, a client certificate or no verification, a
// proxy and redirects, decoded and checked as its Validate() checks them,
// with its messages. Notifiers, receivers, scrape configs and HTTP service
// discovery all use it.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace mytsdb::promconfig {

struct TlsConfig {
  std::string ca_file, cert_file, key_file, server_name;
  bool insecure_skip_verify = false;
};

struct HttpClientConfig {
  std::string basic_auth_username, basic_auth_password, basic_auth_password_file;
  std::string authorization_type;  // "Bearer" when credentials are set
  std::string authorization_credentials, authorization_credentials_file;
  TlsConfig tls;
  std::string proxy_url;
  bool follow_redirects = true;
};

Result<TlsConfig> ParseTlsConfig(const YAML::Node& node);

// Reads the client's fields where they sit among others (a scrape config
// holds them inline): Take() consumes the keys that belong to the client,
// Finish() checks them together.
class HttpClientConfigReader {
 public:
  // True when `key` is one of the client's fields (then read into the
  // config); false when it is not; an error when its value is wrong.
  Result<bool> Take(const std::string& key, const YAML::Node& value);
  Result<HttpClientConfig> Finish();

 private:
  HttpClientConfig config_;
  bool basic_auth_ = false, authorization_ = false;
  std::string bearer_token_, bearer_token_file_;
};

// A mapping of only the client's fields (an `http_config`); any other
// field is an error.
Result<HttpClientConfig> ParseHttpClientConfig(const YAML::Node& node);

// Go's url.Parse as Prometheus's URL types check it: http or https, with a
// host ("unsupported scheme \"ftp\" for URL", "missing host for URL").
// Its parts, for a client: the authority without user info, and the path
// with the query ("/" at least, no fragment).
struct HttpUrl {
  bool https = false;
  std::string authority;  // host[:port]
  std::string target;
};
Result<HttpUrl> ParseHttpUrl(std::string_view url);
Status CheckHttpUrl(std::string_view url);

// A secret kept in a file (password_file, credentials_file, ...): its text
// without the trailing newline.
Result<std::string> ReadSecretFile(const std::string& path);

}  // namespace mytsdb::promconfig
