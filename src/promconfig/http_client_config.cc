#include "promconfig/http_client_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "promconfig/yaml_fields.h"

namespace mytsdb::promconfig {

namespace {

std::string Str(const YAML::Node& v) { return v.IsNull() ? "" : v.as<std::string>(); }

}  // namespace

Result<TlsConfig> ParseTlsConfig(const YAML::Node& node) {
  TlsConfig tls;
  if (node.IsNull()) return tls;
  if (!node.IsMap()) return Status::InvalidArgument("tls_config must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key == "ca_file") {
      tls.ca_file = Str(kv.second);
    } else if (key == "cert_file") {
      tls.cert_file = Str(kv.second);
    } else if (key == "key_file") {
      tls.key_file = Str(kv.second);
    } else if (key == "server_name") {
      tls.server_name = Str(kv.second);
    } else if (key == "insecure_skip_verify") {
      tls.insecure_skip_verify = kv.second.as<bool>();
    } else if (key == "min_version" || key == "max_version") {
      // Accepted as Alertmanager accepts them; OpenSSL's defaults apply.
    } else {
      return UnknownField(kv.first, "config.plain");
    }
  }
  if (!tls.cert_file.empty() && tls.key_file.empty()) {
    return Status::InvalidArgument("exactly one of key or key_file must be configured when a client certificate is configured");
  }
  if (tls.cert_file.empty() && !tls.key_file.empty()) {
    return Status::InvalidArgument("exactly one of cert or cert_file must be configured when a client key is configured");
  }
  return tls;
}

Result<bool> HttpClientConfigReader::Take(const std::string& key, const YAML::Node& v) {
  if (key == "basic_auth") {
    basic_auth_ = !v.IsNull();
    for (const auto& f : v) {
      const std::string k = f.first.as<std::string>();
      if (k == "username") {
        config_.basic_auth_username = Str(f.second);
      } else if (k == "password") {
        config_.basic_auth_password = Str(f.second);
      } else if (k == "password_file") {
        config_.basic_auth_password_file = Str(f.second);
      } else {
        return UnknownField(f.first, "config.BasicAuth");
      }
    }
  } else if (key == "authorization") {
    authorization_ = !v.IsNull();
    for (const auto& f : v) {
      const std::string k = f.first.as<std::string>();
      if (k == "type") {
        config_.authorization_type = Str(f.second);
      } else if (k == "credentials") {
        config_.authorization_credentials = Str(f.second);
      } else if (k == "credentials_file") {
        config_.authorization_credentials_file = Str(f.second);
      } else {
        return UnknownField(f.first, "config.Authorization");
      }
    }
  } else if (key == "bearer_token") {
    bearer_token_ = Str(v);
  } else if (key == "bearer_token_file") {
    bearer_token_file_ = Str(v);
  } else if (key == "tls_config") {
    ASSIGN_OR_RETURN(config_.tls, ParseTlsConfig(v));
  } else if (key == "proxy_url") {
    config_.proxy_url = Str(v);
  } else if (key == "follow_redirects") {
    config_.follow_redirects = v.as<bool>();
  } else if (key == "enable_http2") {
    // HTTP/1.1 is what MyTSDB's client speaks; accepted for compatibility.
  } else if (key == "oauth2") {
    return Status::InvalidArgument("oauth2 is not supported by MyTSDB's HTTP client");
  } else {
    return false;
  }
  return true;
}

Result<HttpClientConfig> HttpClientConfigReader::Finish() {
  HttpClientConfig c = config_;
  if (!bearer_token_.empty() && !bearer_token_file_.empty()) {
    return Status::InvalidArgument("at most one of bearer_token & bearer_token_file must be configured");
  }
  if (basic_auth_ && (!bearer_token_.empty() || !bearer_token_file_.empty())) {
    return Status::InvalidArgument("at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
  }
  if (!c.basic_auth_password.empty() && !c.basic_auth_password_file.empty()) {
    return Status::InvalidArgument("at most one of basic_auth password & password_file must be configured");
  }
  if (authorization_) {
    if (!bearer_token_.empty() || !bearer_token_file_.empty()) {
      return Status::InvalidArgument("authorization is not compatible with bearer_token & bearer_token_file");
    }
    if (!c.authorization_credentials.empty() && !c.authorization_credentials_file.empty()) {
      return Status::InvalidArgument("at most one of authorization credentials & credentials_file must be configured");
    }
    std::string type = c.authorization_type;
    for (char& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (type == "basic") {
      return Status::InvalidArgument("authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
    }
    if (basic_auth_) {
      return Status::InvalidArgument("at most one of basic_auth, oauth2 & authorization must be configured");
    }
    if (c.authorization_type.empty()) c.authorization_type = "Bearer";
  } else if (!bearer_token_.empty() || !bearer_token_file_.empty()) {
    c.authorization_type = "Bearer";
    c.authorization_credentials = bearer_token_;
    c.authorization_credentials_file = bearer_token_file_;
  }
  return c;
}

Result<HttpClientConfig> ParseHttpClientConfig(const YAML::Node& node) {
  if (node.IsNull()) return HttpClientConfig{};
  if (!node.IsMap()) return Status::InvalidArgument("http_config must be a mapping");
  HttpClientConfigReader reader;
  for (const auto& kv : node) {
    ASSIGN_OR_RETURN(bool taken, reader.Take(kv.first.as<std::string>(), kv.second));
    if (!taken) return UnknownField(kv.first, "config.plain");
  }
  return reader.Finish();
}

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  std::string scheme;
  size_t i = 0;
  if (!url.empty() && std::isalpha(static_cast<unsigned char>(url[0]))) {
    while (i < url.size() && (std::isalnum(static_cast<unsigned char>(url[i])) || url[i] == '+' || url[i] == '-' ||
                              url[i] == '.')) {
      ++i;
    }
    if (i < url.size() && url[i] == ':') {
      scheme = std::string(url.substr(0, i));
      for (char& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      ++i;
    } else {
      i = 0;
    }
  }
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("unsupported scheme \"" + scheme + "\" for URL");
  }
  std::string_view rest = url.substr(i);
  if (rest.substr(0, 2) != "//") return Status::InvalidArgument("missing host for URL");
  rest.remove_prefix(2);
  const size_t end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, end);
  HttpUrl parsed;
  parsed.https = scheme == "https";
  parsed.target = std::string(rest.substr(end, rest.find('#', end) - end));
  if (parsed.target.empty() || parsed.target[0] == '?') parsed.target.insert(0, "/");
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.empty()) return Status::InvalidArgument("missing host for URL");
  for (char ch : authority) {
    if (ch == ' ' || static_cast<unsigned char>(ch) < 0x20) {
      return Status::InvalidArgument("parse \"" + std::string(url) + "\": invalid character \" \" in host name");
    }
  }
  parsed.authority = std::string(authority);
  return parsed;
}

Status CheckHttpUrl(std::string_view url) { return ParseHttpUrl(url).status(); }

Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("unable to read " + path);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace mytsdb::promconfig
