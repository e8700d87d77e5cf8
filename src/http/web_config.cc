#include "http/web_config.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

namespace mytsdb::http {

namespace {

Status Invalid(const std::string& message) { return Status::InvalidArgument(message); }

Result<std::string> ReadWhole(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Invalid("cannot read " + what + " " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Resolve(const std::string& dir, const std::string& file) {
  if (file.empty() || file.front() == '/' || dir.empty()) return file;
  return dir + "/" + file;
}

// Keys of a mapping must all be known.
Status CheckKeys(const YAML::Node& node, const std::string& where,
                 const std::set<std::string>& known) {
  if (!node.IsMap()) return Invalid(where + " must be a mapping");
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (known.count(key) == 0) {
      return Invalid("field " + key + " not found in type " + where);
    }
  }
  return Status::OK();
}

Result<int> TlsVersion(const std::string& name) {
  if (name == "TLS10") return 0x0301;
  if (name == "TLS11") return 0x0302;
  if (name == "TLS12") return 0x0303;
  if (name == "TLS13") return 0x0304;
  return Invalid("unknown TLS version: " + name);
}

Result<ClientAuth> ParseClientAuth(const std::string& name) {
  if (name.empty() || name == "NoClientCert") return ClientAuth::kNone;
  if (name == "RequestClientCert") return ClientAuth::kRequest;
  if (name == "RequireAnyClientCert") return ClientAuth::kRequireAny;
  if (name == "VerifyClientCertIfGiven") return ClientAuth::kVerifyIfGiven;
  if (name == "RequireAndVerifyClientCert") return ClientAuth::kRequireAndVerify;
  return Invalid("invalid ClientAuth: " + name);
}

std::vector<std::string> StringList(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node && node.IsSequence()) {
    for (const auto& item : node) out.push_back(item.as<std::string>());
  }
  return out;
}

Status ParseTls(const YAML::Node& node, const std::string& dir, WebConfig* config) {
  RETURN_NOT_OK(CheckKeys(node, "web.TLSConfig",
                          {"cert_file", "key_file", "cert", "key", "client_auth_type",
                           "client_ca_file", "client_ca", "client_allowed_sans", "min_version",
                           "max_version", "cipher_suites", "curve_preferences",
                           "prefer_server_cipher_suites"}));
  auto str = [&](const char* key) { return node[key] ? node[key].as<std::string>() : ""; };
  TlsServerConfig tls;
  const std::string cert_file = str("cert_file"), key_file = str("key_file");
  const std::string cert = str("cert"), key = str("key");
  if (!cert_file.empty() && !cert.empty()) return Invalid("cannot specify both cert and cert_file");
  if (!key_file.empty() && !key.empty()) return Invalid("cannot specify both key and key_file");
  if (cert_file.empty() && cert.empty()) return Invalid("missing cert_file or cert");
  if (key_file.empty() && key.empty()) return Invalid("missing key_file or key");
  if (!cert_file.empty()) {
    ASSIGN_OR_RETURN(tls.cert_pem, ReadWhole(Resolve(dir, cert_file), "cert_file"));
    config->files.push_back(Resolve(dir, cert_file));
  } else {
    tls.cert_pem = cert;
  }
  if (!key_file.empty()) {
    ASSIGN_OR_RETURN(tls.key_pem, ReadWhole(Resolve(dir, key_file), "key_file"));
    config->files.push_back(Resolve(dir, key_file));
  } else {
    tls.key_pem = key;
  }
  ASSIGN_OR_RETURN(tls.client_auth, ParseClientAuth(str("client_auth_type")));
  const std::string ca_file = str("client_ca_file"), ca = str("client_ca");
  if (!ca_file.empty() && !ca.empty()) return Invalid("cannot specify both client_ca and client_ca_file");
  if (!ca_file.empty()) {
    ASSIGN_OR_RETURN(tls.client_ca_pem, ReadWhole(Resolve(dir, ca_file), "client_ca_file"));
    config->files.push_back(Resolve(dir, ca_file));
  } else {
    tls.client_ca_pem = ca;
  }
  if (tls.client_auth == ClientAuth::kRequireAndVerify && tls.client_ca_pem.empty()) {
    return Invalid("client_ca_file must be set for client_auth_type RequireAndVerifyClientCert");
  }
  if (tls.client_auth == ClientAuth::kNone && !tls.client_ca_pem.empty()) {
    return Invalid("Client CA's have been configured without a Client Auth Policy");
  }
  tls.client_allowed_sans = StringList(node["client_allowed_sans"]);
  if (!tls.client_allowed_sans.empty() && tls.client_auth != ClientAuth::kRequireAndVerify) {
    return Invalid("client_allowed_sans requires client_auth_type RequireAndVerifyClientCert");
  }
  if (node["min_version"]) {
    ASSIGN_OR_RETURN(tls.min_version, TlsVersion(str("min_version")));
  }
  if (node["max_version"]) {
    ASSIGN_OR_RETURN(tls.max_version, TlsVersion(str("max_version")));
  }
  if (tls.min_version > tls.max_version) return Invalid("min_version is greater than max_version");
  tls.cipher_suites = StringList(node["cipher_suites"]);
  tls.curve_preferences = StringList(node["curve_preferences"]);
  for (const std::string& c : tls.curve_preferences) {
    if (c != "X25519" && c != "CurveP256" && c != "CurveP384" && c != "CurveP521") {
      return Invalid("unknown curve: " + c);
    }
  }
  if (node["prefer_server_cipher_suites"]) {
    tls.prefer_server_cipher_suites = node["prefer_server_cipher_suites"].as<bool>();
  }
  config->tls = std::move(tls);
  return Status::OK();
}

// Headers exporter-toolkit lets a web config set.
const std::set<std::string> kAllowedHeaders = {
    "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
    "X-XSS-Protection", "Content-Security-Policy"};

}  // namespace

Result<WebConfig> ParseWebConfig(const std::string& yaml, const std::string& dir) {
  WebConfig config;
  try {
    YAML::Node root = YAML::Load(yaml);
    if (root.IsNull()) return config;
    RETURN_NOT_OK(CheckKeys(root, "web.Config",
                            {"tls_server_config", "http_server_config", "basic_auth_users"}));
    if (root["tls_server_config"] && !root["tls_server_config"].IsNull()) {
      RETURN_NOT_OK(ParseTls(root["tls_server_config"], dir, &config));
    }
    if (const YAML::Node& http = root["http_server_config"]; http && !http.IsNull()) {
      RETURN_NOT_OK(CheckKeys(http, "web.HTTPConfig", {"http2", "headers"}));
      if (http["http2"]) (void)http["http2"].as<bool>();
      if (const YAML::Node& headers = http["headers"]; headers && !headers.IsNull()) {
        if (!headers.IsMap()) return Invalid("http_server_config.headers must be a mapping");
        for (const auto& kv : headers) {
          std::string name = kv.first.as<std::string>();
          if (kAllowedHeaders.count(name) == 0) {
            return Invalid("HTTP header " + name + " can not be configured");
          }
          config.headers.emplace_back(name, kv.second.as<std::string>());
        }
      }
    }
    if (const YAML::Node& users = root["basic_auth_users"]; users && !users.IsNull()) {
      if (!users.IsMap()) return Invalid("basic_auth_users must be a mapping of user to bcrypt hash");
      for (const auto& kv : users) {
        std::string user = kv.first.as<std::string>();
        std::string hash = kv.second.as<std::string>();
        if (!(hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$")) ||
            hash.size() != 60) {
          return Invalid("basic_auth_users: the password of " + user + " is not a bcrypt hash");
        }
        config.basic_auth_users[user] = hash;
      }
    }
  } catch (const YAML::Exception& e) {
    return Invalid(e.what());
  }
  return config;
}

Result<WebConfig> LoadWebConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadWhole(path, "web config file"));
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  auto config = ParseWebConfig(text, dir);
  if (!config.ok()) return config.status().WithContext(path);
  config->files.insert(config->files.begin(), path);
  return config;
}

Result<std::unique_ptr<WebConfigWatcher>> WebConfigWatcher::Open(
    const std::string& path, std::chrono::milliseconds check_every) {
  std::unique_ptr<WebConfigWatcher> w(new WebConfigWatcher(path, check_every));
  ASSIGN_OR_RETURN(WebConfig config, LoadWebConfig(path));
  w->fingerprint_ = w->Fingerprint(config.files);
  w->current_ = std::make_shared<const WebConfig>(std::move(config));
  w->last_check_ = std::chrono::steady_clock::now();
  return w;
}

std::string WebConfigWatcher::Fingerprint(const std::vector<std::string>& files) const {
  std::string out;
  for (const std::string& f : files) {
    struct stat st;
    if (::stat(f.c_str(), &st) != 0) {
      out += f + ":missing;";
      continue;
    }
    out += f + ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) +
           ":" + std::to_string(st.st_size) + ";";
  }
  return out;
}

std::shared_ptr<const WebConfig> WebConfigWatcher::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < check_every_) return current_;
  last_check_ = now;
  std::string fingerprint = Fingerprint(current_->files);
  if (fingerprint == fingerprint_) return current_;
  fingerprint_ = fingerprint;  // tried once per change
  auto config = LoadWebConfig(path_);
  if (!config.ok()) {
    ++failed_reloads_;
    spdlog::error("web config {} changed but does not load, keeping the previous one: {}", path_,
                  config.status().ToString());
    return current_;
  }
  ++reloads_;
  spdlog::info("web config {} reloaded", path_);
  fingerprint_ = Fingerprint(config->files);
  current_ = std::make_shared<const WebConfig>(std::move(*config));
  return current_;
}

Status WebConfigWatcher::Reload() {
  auto config = LoadWebConfig(path_);
  std::lock_guard<std::mutex> lock(mu_);
  if (!config.ok()) {
    ++failed_reloads_;
    return config.status();
  }
  ++reloads_;
  fingerprint_ = Fingerprint(config->files);
  current_ = std::make_shared<const WebConfig>(std::move(*config));
  return Status::OK();
}

uint64_t WebConfigWatcher::reloads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reloads_;
}

uint64_t WebConfigWatcher::failed_reloads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_reloads_;
}

}  // namespace mytsdb::http
