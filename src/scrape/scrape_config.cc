#include "scrape/scrape_config.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <filesystem>
#include <set>

#include "model/duration.h"
#include "promconfig/yaml_fields.h"
#include "scrape/exposition.h"

namespace mytsdb::scrape {

namespace {

using promconfig::UnknownField;

std::string Str(const YAML::Node& v) { return v.IsNull() ? "" : v.as<std::string>(); }

Result<int64_t> Duration(const YAML::Node& v, const std::string& key) {
  auto ms = model::ParseDuration(Str(v));
  if (!ms.ok()) return ms.status().WithContext(key);
  return *ms;
}

Result<uint64_t> Count(const YAML::Node& v, const std::string& key) {
  const std::string s = Str(v);
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return Status::InvalidArgument(key + ": \"" + s + "\" is not a non-negative integer");
  }
  return n;
}

// Prometheus's service discoveries that MyTSDB does not have.
bool IsOtherDiscovery(const std::string& key) {
  static const std::set<std::string> kOthers = {
      "azure_sd_configs",     "consul_sd_configs",     "digitalocean_sd_configs", "docker_sd_configs",
      "dockerswarm_sd_configs", "dns_sd_configs",      "ec2_sd_configs",          "eureka_sd_configs",
      "gce_sd_configs",       "hetzner_sd_configs",    "ionos_sd_configs",        "kubernetes_sd_configs",
      "kuma_sd_configs",      "lightsail_sd_configs",  "linode_sd_configs",       "marathon_sd_configs",
      "nerve_sd_configs",     "nomad_sd_configs",      "openstack_sd_configs",    "ovhcloud_sd_configs",
      "puppetdb_sd_configs",  "scaleway_sd_configs",   "serverset_sd_configs",    "triton_sd_configs",
      "uyuni_sd_configs",     "vultr_sd_configs",      "stackit_sd_configs",      "outscale_sd_configs"};
  return kOthers.count(key) > 0;
}

std::string Absolute(const std::string& path, const std::string& base_dir) {
  if (path.empty() || base_dir.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(base_dir) / path).string();
}

Result<std::vector<std::string>> Protocols(const YAML::Node& v) {
  if (!v.IsSequence()) return Status::InvalidArgument("scrape_protocols must be a list");
  std::vector<std::string> out;
  for (const auto& p : v) out.push_back(Str(p));
  return out;
}

// validateAcceptScrapeProtocols, with Prometheus's messages.
Status CheckProtocols(const std::vector<std::string>& protocols) {
  if (protocols.empty()) return Status::InvalidArgument("scrape_protocols cannot be empty");
  std::set<std::string> seen;
  std::string all = "[";
  for (const auto& p : protocols) all += (all.size() > 1 ? " " : "") + p;
  all += "]";
  for (const auto& p : protocols) {
    std::string lower = p;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!seen.insert(lower).second) return Status::InvalidArgument("duplicated protocol in scrape_protocols, got " + all);
    if (!IsScrapeProtocol(p)) {
      return Status::InvalidArgument("scrape_protocols: unknown scrape protocol " + p +
                                     ", supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto "
                                     "PrometheusText0.0.4 PrometheusText1.0.0]");
    }
  }
  bool parsed = false;
  for (const auto& p : protocols) parsed = parsed || ProtocolFormat(p).has_value();
  if (!parsed) {
    return Status::InvalidArgument(
        "scrape_protocols: MyTSDB does not parse PrometheusProto; list a text protocol too (docs/SCRAPING.md)");
  }
  return Status::OK();
}

Result<TargetGroup> ParseGroup(const YAML::Node& node) {
  if (!node.IsMap()) return Status::InvalidArgument("a target group must be a mapping");
  TargetGroup g;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key == "targets") {
      if (!kv.second.IsSequence() && !kv.second.IsNull()) return Status::InvalidArgument("targets must be a list");
      for (const auto& t : kv.second) g.targets.push_back(Str(t));
    } else if (key == "labels") {
      if (!kv.second.IsMap() && !kv.second.IsNull()) return Status::InvalidArgument("labels must be a mapping");
      for (const auto& l : kv.second) g.labels[l.first.as<std::string>()] = Str(l.second);
    } else {
      return UnknownField(kv.first, "struct { Targets []string \"yaml:\\\"targets\\\"\"; Labels model.LabelSet "
                                    "\"yaml:\\\"labels\\\"\" }");
    }
  }
  return g;
}

// Prometheus's patFileSDName.
bool IsValidFileSdName(const std::string& name) {
  static const RE2 kName(R"([^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML))");
  return RE2::FullMatch(name, kName);
}

Result<FileSdConfig> ParseFileSd(const YAML::Node& node, const std::string& base_dir) {
  if (!node.IsMap()) return Status::InvalidArgument("a file_sd_config must be a mapping");
  FileSdConfig c;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key == "files") {
      for (const auto& f : kv.second) c.files.push_back(Str(f));
    } else if (key == "refresh_interval") {
      ASSIGN_OR_RETURN(c.refresh_interval_ms, Duration(kv.second, key));
    } else {
      return UnknownField(kv.first, "file.SDConfig");
    }
  }
  if (c.files.empty()) return Status::InvalidArgument("file service discovery config must contain at least one path name");
  for (auto& f : c.files) {
    if (!IsValidFileSdName(f)) return Status::InvalidArgument("path name \"" + f + "\" is not valid for file discovery");
    f = Absolute(f, base_dir);
  }
  return c;
}

Result<HttpSdConfig> ParseHttpSd(const YAML::Node& node) {
  if (!node.IsMap()) return Status::InvalidArgument("an http_sd_config must be a mapping");
  HttpSdConfig c;
  promconfig::HttpClientConfigReader client;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key == "url") {
      c.url = Str(kv.second);
    } else if (key == "refresh_interval") {
      ASSIGN_OR_RETURN(c.refresh_interval_ms, Duration(kv.second, key));
    } else {
      ASSIGN_OR_RETURN(bool taken, client.Take(key, kv.second));
      if (!taken) return UnknownField(kv.first, "http.SDConfig");
    }
  }
  ASSIGN_OR_RETURN(c.http, client.Finish());
  if (c.url.empty()) return Status::InvalidArgument("URL is missing");
  auto url = promconfig::ParseHttpUrl(c.url);
  if (!url.ok()) {
    if (url.status().message().find("scheme") != std::string::npos) {
      return Status::InvalidArgument("URL scheme must be 'http' or 'https'");
    }
    return Status::InvalidArgument("host is missing in URL");
  }
  return c;
}

Result<ScrapeConfig> ParseOne(const YAML::Node& node, const ScrapeGlobals& g, const std::string& base_dir,
                              model::Labels::NameScheme names) {
  if (!node.IsMap()) return Status::InvalidArgument("empty or null scrape config section");
  ScrapeConfig c;
  promconfig::HttpClientConfigReader client;
  int64_t interval = 0, timeout = 0;
  bool protocols_set = false;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "job_name") {
      c.job_name = Str(v);
    } else if (key == "scrape_interval") {
      ASSIGN_OR_RETURN(interval, Duration(v, key));
    } else if (key == "scrape_timeout") {
      ASSIGN_OR_RETURN(timeout, Duration(v, key));
    } else if (key == "scrape_protocols") {
      ASSIGN_OR_RETURN(c.scrape_protocols, Protocols(v));
      protocols_set = true;
    } else if (key == "fallback_scrape_protocol") {
      c.fallback_scrape_protocol = Str(v);
    } else if (key == "metrics_path") {
      c.metrics_path = Str(v);
    } else if (key == "scheme") {
      c.scheme = Str(v);
    } else if (key == "params") {
      for (const auto& p : v) {
        auto& values = c.params[p.first.as<std::string>()];
        for (const auto& value : p.second) values.push_back(Str(value));
      }
    } else if (key == "honor_labels") {
      c.honor_labels = v.as<bool>();
    } else if (key == "honor_timestamps") {
      c.honor_timestamps = v.as<bool>();
    } else if (key == "track_timestamps_staleness") {
      c.track_timestamps_staleness = v.as<bool>();
    } else if (key == "enable_compression") {
      c.enable_compression = v.as<bool>();
    } else if (key == "body_size_limit") {
      ASSIGN_OR_RETURN(c.body_size_limit, ParseBase2Bytes(Str(v)));
    } else if (key == "sample_limit") {
      ASSIGN_OR_RETURN(c.sample_limit, Count(v, key));
    } else if (key == "target_limit") {
      ASSIGN_OR_RETURN(c.target_limit, Count(v, key));
    } else if (key == "label_limit") {
      ASSIGN_OR_RETURN(c.label_limit, Count(v, key));
    } else if (key == "label_name_length_limit") {
      ASSIGN_OR_RETURN(c.label_name_length_limit, Count(v, key));
    } else if (key == "label_value_length_limit") {
      ASSIGN_OR_RETURN(c.label_value_length_limit, Count(v, key));
    } else if (key == "keep_dropped_targets") {
      ASSIGN_OR_RETURN(c.keep_dropped_targets, Count(v, key));
    } else if (key == "relabel_configs") {
      auto configs = relabel::ParseConfigs(v, names);
      if (!configs.ok()) return configs.status();
      c.relabel_configs = *std::move(configs);
    } else if (key == "metric_relabel_configs") {
      auto configs = relabel::ParseConfigs(v, names);
      if (!configs.ok()) return configs.status();
      c.metric_relabel_configs = *std::move(configs);
    } else if (key == "static_configs") {
      if (!v.IsSequence() && !v.IsNull()) return Status::InvalidArgument("static_configs must be a list");
      for (const auto& group : v) {
        ASSIGN_OR_RETURN(TargetGroup parsed, ParseGroup(group));
        parsed.source = std::to_string(c.static_configs.size());
        c.static_configs.push_back(std::move(parsed));
      }
    } else if (key == "file_sd_configs") {
      for (const auto& sd : v) {
        ASSIGN_OR_RETURN(FileSdConfig parsed, ParseFileSd(sd, base_dir));
        c.file_sd_configs.push_back(std::move(parsed));
      }
    } else if (key == "http_sd_configs") {
      for (const auto& sd : v) {
        ASSIGN_OR_RETURN(HttpSdConfig parsed, ParseHttpSd(sd));
        c.http_sd_configs.push_back(std::move(parsed));
      }
    } else if (IsOtherDiscovery(key)) {
      return Status::InvalidArgument(key + " is not supported by MyTSDB (static_configs, file_sd_configs and "
                                           "http_sd_configs are; docs/SCRAPING.md)");
    } else if (key == "scrape_native_histograms" || key == "always_scrape_classic_histograms" ||
               key == "convert_classic_histograms_to_nhcb" || key == "native_histogram_bucket_limit" ||
               key == "native_histogram_min_bucket_factor" || key == "metric_name_validation_scheme" ||
               key == "metric_name_escaping_scheme" || key == "scrape_failure_log_file" ||
               key == "extra_scrape_metrics") {
      return Status::InvalidArgument(key + " is not supported by MyTSDB's scraping (docs/SCRAPING.md)");
    } else {
      ASSIGN_OR_RETURN(bool taken, client.Take(key, v));
      if (!taken) return UnknownField(kv.first, "config.ScrapeConfig");
    }
  }
  if (c.job_name.empty()) return Status::InvalidArgument("job_name is empty");
  ASSIGN_OR_RETURN(c.http, client.Finish());
  c.http.tls.ca_file = Absolute(c.http.tls.ca_file, base_dir);
  c.http.tls.cert_file = Absolute(c.http.tls.cert_file, base_dir);
  c.http.tls.key_file = Absolute(c.http.tls.key_file, base_dir);
  c.http.basic_auth_password_file = Absolute(c.http.basic_auth_password_file, base_dir);
  c.http.authorization_credentials_file = Absolute(c.http.authorization_credentials_file, base_dir);
  if (c.scheme != "http" && c.scheme != "https") {
    return Status::InvalidArgument("scheme \"" + c.scheme + "\" for job \"" + c.job_name +
                                   "\" is not supported: use http or https");
  }
  // Checks of the static targets, when no relabeling could fix them.
  if (c.relabel_configs.empty()) {
    for (const auto& group : c.static_configs) {
      for (const auto& t : group.targets) {
        if (t.find('/') != std::string::npos) return Status::InvalidArgument("\"" + t + "\" is not a valid hostname");
      }
    }
  }
  // ScrapeConfig.Validate: the interval, then the timeout against it.
  c.scrape_interval_ms = interval != 0 ? interval : g.scrape_interval_ms;
  if (timeout > c.scrape_interval_ms) {
    return Status::InvalidArgument("scrape timeout greater than scrape interval for scrape config with job name \"" +
                                   c.job_name + "\"");
  }
  c.scrape_timeout_ms = timeout != 0 ? timeout : std::min(g.scrape_timeout_ms, c.scrape_interval_ms);
  for (auto [field, global] : {std::pair{&c.body_size_limit, g.body_size_limit}, {&c.sample_limit, g.sample_limit},
                               {&c.target_limit, g.target_limit}, {&c.label_limit, g.label_limit},
                               {&c.label_name_length_limit, g.label_name_length_limit},
                               {&c.label_value_length_limit, g.label_value_length_limit},
                               {&c.keep_dropped_targets, g.keep_dropped_targets}}) {
    if (*field == 0) *field = global;
  }
  if (!protocols_set) {
    c.scrape_protocols = !g.scrape_protocols.empty()
                             ? g.scrape_protocols
                             : std::vector<std::string>{"OpenMetricsText1.0.0", "OpenMetricsText0.0.1",
                                                        "PrometheusText1.0.0", "PrometheusText0.0.4"};
  }
  if (Status st = CheckProtocols(c.scrape_protocols); !st.ok()) {
    return Status::InvalidArgument(st.message() + " for scrape config with job name \"" + c.job_name + "\"");
  }
  if (!c.fallback_scrape_protocol.empty() && !ProtocolFormat(c.fallback_scrape_protocol)) {
    return Status::InvalidArgument("invalid fallback_scrape_protocol for scrape config with job name \"" + c.job_name +
                                   "\": " +
                                   (IsScrapeProtocol(c.fallback_scrape_protocol)
                                        ? std::string("MyTSDB does not parse PrometheusProto")
                                        : "unknown scrape protocol " + c.fallback_scrape_protocol));
  }
  YAML::Emitter out;
  out << node;
  c.fingerprint = std::string(out.c_str()) + "\n#" + std::to_string(c.scrape_interval_ms) + "/" +
                  std::to_string(c.scrape_timeout_ms);
  for (const auto& p : c.scrape_protocols) c.fingerprint += "/" + p;
  for (uint64_t v : {c.body_size_limit, c.sample_limit, c.target_limit, c.label_limit, c.label_name_length_limit,
                     c.label_value_length_limit, c.keep_dropped_targets}) {
    c.fingerprint += "/" + std::to_string(v);
  }
  return c;
}

}  // namespace

Result<bool> TakeGlobalKey(const std::string& key, const YAML::Node& v, ScrapeGlobals* g) {
  if (key == "scrape_interval") {
    ASSIGN_OR_RETURN(g->scrape_interval_ms, Duration(v, "global.scrape_interval"));
    if (g->scrape_interval_ms <= 0) return Status::InvalidArgument("global.scrape_interval must be positive");
  } else if (key == "scrape_timeout") {
    ASSIGN_OR_RETURN(g->scrape_timeout_ms, Duration(v, "global.scrape_timeout"));
  } else if (key == "scrape_protocols") {
    ASSIGN_OR_RETURN(g->scrape_protocols, Protocols(v));
    if (Status st = CheckProtocols(g->scrape_protocols); !st.ok()) return st.WithContext("global");
  } else if (key == "body_size_limit") {
    ASSIGN_OR_RETURN(g->body_size_limit, ParseBase2Bytes(Str(v)));
  } else if (key == "sample_limit") {
    ASSIGN_OR_RETURN(g->sample_limit, Count(v, "global." + key));
  } else if (key == "target_limit") {
    ASSIGN_OR_RETURN(g->target_limit, Count(v, "global." + key));
  } else if (key == "label_limit") {
    ASSIGN_OR_RETURN(g->label_limit, Count(v, "global." + key));
  } else if (key == "label_name_length_limit") {
    ASSIGN_OR_RETURN(g->label_name_length_limit, Count(v, "global." + key));
  } else if (key == "label_value_length_limit") {
    ASSIGN_OR_RETURN(g->label_value_length_limit, Count(v, "global." + key));
  } else if (key == "keep_dropped_targets") {
    ASSIGN_OR_RETURN(g->keep_dropped_targets, Count(v, "global." + key));
  } else {
    return false;
  }
  return true;
}

Result<std::vector<ScrapeConfig>> ParseScrapeConfigs(const YAML::Node& node, const ScrapeGlobals& globals,
                                                     const std::string& base_dir, model::Labels::NameScheme names) {
  std::vector<ScrapeConfig> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) return Status::InvalidArgument("scrape_configs must be a list");
  if (globals.scrape_timeout_ms > globals.scrape_interval_ms) {
    return Status::InvalidArgument("global scrape timeout greater than scrape interval");
  }
  std::set<std::string> jobs;
  for (const auto& n : node) {
    ASSIGN_OR_RETURN(ScrapeConfig c, ParseOne(n, globals, base_dir, names));
    if (!jobs.insert(c.job_name).second) {
      return Status::InvalidArgument("found multiple scrape configs with job name \"" + c.job_name + "\"");
    }
    out.push_back(std::move(c));
  }
  return out;
}

Result<uint64_t> ParseBase2Bytes(std::string_view text) {
  const std::string s(text);
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  uint64_t n = 0;
  if (i == 0 || std::from_chars(s.data(), s.data() + i, n).ec != std::errc()) {
    return Status::InvalidArgument("invalid size \"" + s + "\": expected a number of bytes with a unit (B, KB, MB, GB, TB)");
  }
  const std::string unit = s.substr(i);
  static const std::pair<const char*, int> kUnits[] = {{"", 0},    {"B", 0},    {"KB", 10},  {"KiB", 10}, {"MB", 20},
                                                       {"MiB", 20}, {"GB", 30},  {"GiB", 30}, {"TB", 40},  {"TiB", 40},
                                                       {"PB", 50},  {"PiB", 50}};
  for (const auto& [name, shift] : kUnits) {
    if (unit != name) continue;
    if (shift > 0 && n > (UINT64_MAX >> shift)) return Status::InvalidArgument("size \"" + s + "\" is too large");
    return n << shift;
  }
  return Status::InvalidArgument("invalid size \"" + s + "\": units are B, KB, MB, GB, TB, PB (powers of 1024)");
}

}  // namespace mytsdb::scrape
