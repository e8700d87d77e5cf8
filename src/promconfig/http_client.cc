#include "promconfig/http_client.h"

namespace mytsdb::promconfig {

namespace {

struct Endpoint {
  bool https = false;
  std::string host;
  int port = 0;
  std::string target;  // path and query
};

Result<Endpoint> SplitUrl(const std::string& url) {
  ASSIGN_OR_RETURN(HttpUrl parsed, ParseHttpUrl(url));
  Endpoint e{parsed.https, parsed.authority, parsed.https ? 443 : 80, parsed.target};
  const size_t bracket = parsed.authority.rfind(']');
  const size_t port_colon = parsed.authority.rfind(':');
  if (port_colon != std::string::npos && (bracket == std::string::npos || port_colon > bracket)) {
    e.host = parsed.authority.substr(0, port_colon);
    try {
      e.port = std::stoi(parsed.authority.substr(port_colon + 1));
    } catch (const std::exception&) {
      return Status::InvalidArgument("invalid port in URL " + url);
    }
  }
  if (e.host.size() > 2 && e.host.front() == '[') e.host = e.host.substr(1, e.host.size() - 2);
  return e;
}

}  // namespace

Result<HttpClient> MakeHttpClient(const std::string& url, const HttpClientConfig& config,
                                  std::chrono::milliseconds timeout, const std::string& user_agent) {
  ASSIGN_OR_RETURN(Endpoint u, SplitUrl(url));
  HttpClient out;
  out.target = u.target;
  if (u.https) {
    auto ssl = config.tls.cert_file.empty()
                   ? std::make_unique<httplib::SSLClient>(u.host, u.port)
                   : std::make_unique<httplib::SSLClient>(u.host, u.port, config.tls.cert_file, config.tls.key_file);
    if (!config.tls.ca_file.empty()) ssl->set_ca_cert_path(config.tls.ca_file.c_str());
    ssl->enable_server_certificate_verification(!config.tls.insecure_skip_verify);
    out.client = std::move(ssl);
  } else {
    out.client = std::make_unique<httplib::ClientImpl>(u.host, u.port);
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout - seconds);
  out.client->set_connection_timeout(seconds.count(), micros.count());
  out.client->set_read_timeout(seconds.count(), micros.count());
  out.client->set_write_timeout(seconds.count(), micros.count());
  out.client->set_follow_location(config.follow_redirects);
  if (!config.proxy_url.empty()) {
    ASSIGN_OR_RETURN(Endpoint proxy, SplitUrl(config.proxy_url));
    out.client->set_proxy(proxy.host.c_str(), proxy.port);
  }
  out.headers = {{"User-Agent", user_agent}};
  if (!config.basic_auth_username.empty() || !config.basic_auth_password.empty() ||
      !config.basic_auth_password_file.empty()) {
    std::string password = config.basic_auth_password;
    if (!config.basic_auth_password_file.empty()) {
      ASSIGN_OR_RETURN(password, ReadSecretFile(config.basic_auth_password_file));
    }
    out.client->set_basic_auth(config.basic_auth_username.c_str(), password.c_str());
  }
  if (!config.authorization_type.empty()) {
    std::string credentials = config.authorization_credentials;
    if (!config.authorization_credentials_file.empty()) {
      ASSIGN_OR_RETURN(credentials, ReadSecretFile(config.authorization_credentials_file));
    }
    out.headers.emplace("Authorization", config.authorization_type + " " + credentials);
  }
  return out;
}

}  // namespace mytsdb::promconfig
