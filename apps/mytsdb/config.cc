#include "config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <filesystem>
#include <charconv>

#include "io/file_system.h"

namespace mytsdb::app {

Result<int64_t> ParseDuration(std::string_view s) {
  // A sequence of <number><unit> like Prometheus durations: 1h30m, 500ms.
  if (s.empty()) return Status::InvalidArgument("empty duration");
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start) return Status::InvalidArgument("invalid duration \"" + std::string(s) + "\"");
    int64_t n = 0;
    auto parsed = std::from_chars(s.data() + start, s.data() + i, n);
    if (parsed.ec != std::errc()) {
      return Status::InvalidArgument("duration \"" + std::string(s) + "\" is too long");
    }
    size_t unit_start = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    std::string_view unit = s.substr(unit_start, i - unit_start);
    int64_t mult;
    if (unit == "ms") mult = 1;
    else if (unit == "s") mult = 1000;
    else if (unit == "m") mult = 60 * 1000;
    else if (unit == "h") mult = 3600 * 1000;
    else if (unit == "d") mult = 24 * 3600 * 1000;
    else if (unit == "w") mult = 7 * 24 * 3600 * 1000LL;
    else if (unit == "y") mult = 365 * 24 * 3600 * 1000LL;  // as Prometheus: 365 days
    else
      return Status::InvalidArgument("invalid duration \"" + std::string(s) +
                                     "\": units are ms, s, m, h, d, w, y");
    int64_t part;
    if (__builtin_mul_overflow(n, mult, &part) || __builtin_add_overflow(total, part, &total)) {
      return Status::InvalidArgument("duration \"" + std::string(s) + "\" is too long");
    }
  }
  return total;
}

Result<uint64_t> ParseBytes(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0) return Status::InvalidArgument("invalid size \"" + std::string(s) + "\"");
  uint64_t n = 0;
  if (std::from_chars(s.data(), s.data() + i, n).ec != std::errc()) {
    return Status::InvalidArgument("size \"" + std::string(s) + "\" is too large");
  }
  std::string_view unit = s.substr(i);
  uint64_t mult;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "KB") mult = 1000;
  else if (unit == "MB") mult = 1000 * 1000;
  else if (unit == "GB") mult = 1000ull * 1000 * 1000;
  else if (unit == "KiB") mult = 1024;
  else if (unit == "MiB") mult = 1024 * 1024;
  else if (unit == "GiB") mult = 1024ull * 1024 * 1024;
  else
    return Status::InvalidArgument("invalid size \"" + std::string(s) +
                                   "\": units are B, KB, MB, GB, KiB, MiB, GiB");
  uint64_t bytes;
  if (__builtin_mul_overflow(n, mult, &bytes)) {
    return Status::InvalidArgument("size \"" + std::string(s) + "\" is too large");
  }
  return bytes;
}

Result<wal::FsyncMode> ParseFsyncMode(std::string_view s) {
  if (s == "always") return wal::FsyncMode::kAlways;
  if (s == "interval") return wal::FsyncMode::kInterval;
  if (s == "never") return wal::FsyncMode::kNever;
  return Status::InvalidArgument("invalid WAL fsync mode \"" + std::string(s) +
                                 "\": use always, interval or never");
}

Status ParseListen(std::string_view s, std::string* host, int* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("invalid listen address \"" + std::string(s) +
                                   "\": expected HOST:PORT");
  }
  *host = std::string(s.substr(0, colon));
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) *host = "0.0.0.0";
  std::string_view p = s.substr(colon + 1);
  auto r = std::from_chars(p.data(), p.data() + p.size(), *port);
  if (r.ec != std::errc() || r.ptr != p.data() + p.size() || *port < 0 || *port > 65535) {
    return Status::InvalidArgument("invalid port in listen address \"" + std::string(s) + "\"");
  }
  return Status::OK();
}

std::vector<std::string> SplitWriterUrls(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const size_t comma = s.find(',');
    std::string_view url = s.substr(0, comma);
    while (!url.empty() && url.front() == ' ') url.remove_prefix(1);
    while (!url.empty() && url.back() == ' ') url.remove_suffix(1);
    if (!url.empty()) out.emplace_back(url);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::string JoinWriterUrls(const std::vector<std::string>& urls) {
  std::string out;
  for (const std::string& url : urls) out += (out.empty() ? "" : ",") + url;
  return out;
}

namespace {

Status Apply(const std::string& key, const YAML::Node& node, Config* c) {
  std::string v = node.as<std::string>();
  if (key == "data_dir") {
    c->data_dir = v;
  } else if (key == "listen") {
    c->listen = v;
  } else if (key == "log_level") {
    c->log_level = v;
  } else if (key == "wal.fsync") {
    ASSIGN_OR_RETURN(c->wal_fsync, ParseFsyncMode(v));
  } else if (key == "wal.fsync_interval") {
    ASSIGN_OR_RETURN(c->wal_fsync_interval_ms, ParseDuration(v));
  } else if (key == "wal.segment_size") {
    ASSIGN_OR_RETURN(c->wal_segment_bytes, ParseBytes(v));
  } else if (key == "storage.block_duration") {
    ASSIGN_OR_RETURN(c->block_duration_ms, ParseDuration(v));
  } else if (key == "storage.max_block_duration") {
    ASSIGN_OR_RETURN(c->max_block_duration_ms, ParseDuration(v));
  } else if (key == "storage.retention") {
    ASSIGN_OR_RETURN(c->retention_ms, ParseDuration(v));
  } else if (key == "ingest.max_future") {
    ASSIGN_OR_RETURN(c->max_future_ms, ParseDuration(v));
  } else if (key == "storage.max_series") {
    c->max_series = node.as<uint64_t>();
  } else if (key == "storage.max_series_per_metric") {
    c->max_series_per_metric = node.as<uint64_t>();
  } else if (key == "storage.retention_size") {
    ASSIGN_OR_RETURN(c->retention_bytes, ParseBytes(v));
  } else if (key == "storage.maintenance_interval") {
    ASSIGN_OR_RETURN(c->persist_check_interval_ms, ParseDuration(v));
  } else if (key == "remote_write.max_body_size") {
    ASSIGN_OR_RETURN(c->max_write_body_bytes, ParseBytes(v));
  } else if (key == "remote_write.max_decompressed_size") {
    ASSIGN_OR_RETURN(c->max_write_decompressed_bytes, ParseBytes(v));
  } else if (key == "remote_write.name_validation") {
    c->name_validation = v;
  } else if (key == "web.enable_admin_api") {
    c->enable_admin_api = node.as<bool>();
  } else if (key == "http.threads") {
    c->http_threads = node.as<int>();
  } else if (key == "web.max_connections") {
    c->max_connections = node.as<int>();
  } else if (key == "web.read_timeout") {
    ASSIGN_OR_RETURN(c->read_timeout_ms, ParseDuration(v));
  } else if (key == "web.enable_lifecycle") {
    c->enable_lifecycle = node.as<bool>();
  } else if (key == "web.config_file") {
    c->web_config_file = v;
  } else if (key == "query.max_concurrency") {
    c->query_max_concurrency = node.as<int>();
  } else if (key == "query.threads") {
    c->query_threads = node.as<int>();
  } else if (key == "query.timeout") {
    ASSIGN_OR_RETURN(c->query_timeout_ms, ParseDuration(v));
  } else if (key == "query.lookback_delta") {
    ASSIGN_OR_RETURN(c->query_lookback_ms, ParseDuration(v));
  } else if (key == "query.max_samples") {
    c->query_max_samples = node.as<int64_t>();
  } else if (key == "sql.memory_limit") {
    ASSIGN_OR_RETURN(c->sql_memory_limit_bytes, ParseBytes(v));
  } else if (key == "sql.threads") {
    c->sql_threads = node.as<int>();
  } else if (key == "sql.timeout") {
    ASSIGN_OR_RETURN(c->sql_timeout_ms, ParseDuration(v));
  } else if (key == "rules.alert.for_outage_tolerance") {
    ASSIGN_OR_RETURN(c->for_outage_tolerance_ms, ParseDuration(v));
  } else if (key == "rules.alert.for_grace_period") {
    ASSIGN_OR_RETURN(c->for_grace_period_ms, ParseDuration(v));
  } else if (key == "search.model_dir") {
    c->search_model_dir = v;
  } else if (key == "web.ui_dir") {
    c->web_ui_dir = v;
  } else if (key == "search.refresh_interval") {
    ASSIGN_OR_RETURN(c->search_refresh_interval_ms, ParseDuration(v));
  } else if (key == "search.embeddings_url") {
    c->search_embeddings_url = v;
  } else if (key == "search.embeddings_model") {
    c->search_embeddings_model = v;
  } else if (key == "search.embeddings_api_key_file") {
    c->search_embeddings_api_key_file = v;
  } else if (key == "alert_history.flush_interval") {
    ASSIGN_OR_RETURN(c->alert_history_flush_interval_ms, ParseDuration(v));
  } else if (key == "web.external_url") {
    c->external_url = v;
  } else if (key == "web.route_prefix") {
    c->route_prefix = v;
  } else if (key == "strict_prometheus") {
    c->strict_prometheus = node.as<bool>();
  } else if (key == "rules.cold_cache_size") {
    ASSIGN_OR_RETURN(c->rules_cold_cache_bytes, ParseBytes(v));
  } else if (key == "cluster.writer") {
    c->cluster_writer = v;
  } else if (key == "cluster.compactor") {
    c->cluster_compactor = node.as<bool>();
  } else if (key == "read_only") {
    c->read_only = node.as<bool>();
  } else if (key == "cluster.writers") {
    c->cluster_writers = SplitWriterUrls(v);
  } else if (key == "cluster.writer_timeout") {
    ASSIGN_OR_RETURN(c->cluster_writer_timeout_ms, ParseDuration(v));
  } else if (key == "storage.cold_url") {
    c->cold_url = v;
  } else if (key == "storage.s3.endpoint") {
    c->s3.endpoint = v;
  } else if (key == "storage.s3.region") {
    c->s3.region = v;
  } else if (key == "storage.s3.access_key_id") {
    c->s3.access_key_id = v;
  } else if (key == "storage.s3.secret_access_key") {
    c->s3.secret_access_key = v;
  } else if (key == "storage.s3.request_timeout") {
    ASSIGN_OR_RETURN(c->s3.request_timeout_ms, ParseDuration(v));
  } else if (key == "storage.s3.max_attempts") {
    c->s3.max_attempts = node.as<int>();
  } else if (key == "pg.listen") {
    c->pg_listen = v;
  } else if (key == "pg.max_connections") {
    c->pg_max_connections = node.as<int>();
  } else {
    return Status::InvalidArgument("unknown configuration key \"" + key + "\"");
  }
  return Status::OK();
}

Status Walk(const YAML::Node& node, const std::string& prefix, Config* c) {
  for (const auto& kv : node) {
    std::string key = prefix + kv.first.as<std::string>();
    if (kv.second.IsMap()) {
      RETURN_NOT_OK(Walk(kv.second, key + ".", c));
    } else if (kv.second.IsScalar()) {
      RETURN_NOT_OK(Apply(key, kv.second, c).WithContext(key));
    } else {
      return Status::InvalidArgument("configuration key \"" + key + "\" must be a scalar");
    }
  }
  return Status::OK();
}

// Prometheus's `global` section, where it applies to MyTSDB.
Status ApplyGlobal(const YAML::Node& node, Config* c) {
  if (!node.IsMap()) return Status::InvalidArgument("\"global\" must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& value = kv.second;
    if (key == "evaluation_interval") {
      ASSIGN_OR_RETURN(c->evaluation_interval_ms, ParseDuration(value.as<std::string>()));
      if (c->evaluation_interval_ms <= 0) return Status::InvalidArgument("global.evaluation_interval must be positive");
    } else if (key == "query_offset") {
      ASSIGN_OR_RETURN(c->rule_query_offset_ms, ParseDuration(value.as<std::string>()));
    } else if (key == "external_labels") {
      if (!value.IsMap() && !value.IsNull()) {
        return Status::InvalidArgument("global.external_labels must be a mapping of label names to values");
      }
      c->external_labels.clear();
      for (const auto& label : value) c->external_labels[label.first.as<std::string>()] = label.second.as<std::string>();
    } else {
      ASSIGN_OR_RETURN(bool scrape_key, scrape::TakeGlobalKey(key, value, &c->scrape_globals));
      if (!scrape_key) {
        return Status::InvalidArgument("unknown configuration key \"global." + key +
                                       "\" (of Prometheus's global section, MyTSDB knows evaluation_interval, "
                                       "query_offset, external_labels and the scrape keys; docs/OPERATIONS.md)");
      }
    }
  }
  return Status::OK();
}

// Prometheus's `alerting` section: static Alertmanagers over HTTP with the
// API v2. What MyTSDB does not do yet is refused, not ignored.
Status ApplyAlerting(const YAML::Node& node, Config* c) {
  if (!node.IsMap()) return Status::InvalidArgument("\"alerting\" must be a mapping");
  c->alertmanagers.clear();
  c->alert_relabel_configs.clear();
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key == "alert_relabel_configs") {
      auto configs = relabel::ParseConfigs(kv.second, c->name_validation == "legacy"
                                                          ? model::Labels::NameScheme::kLegacy
                                                          : model::Labels::NameScheme::kUtf8);
      if (!configs.ok()) return configs.status().WithContext("alerting.alert_relabel_configs");
      c->alert_relabel_configs = *std::move(configs);
      continue;
    }
    if (key != "alertmanagers") {
      return Status::InvalidArgument("alerting." + key +
                                     " is not supported yet (alertmanagers and alert_relabel_configs are)");
    }
    if (!kv.second.IsSequence()) return Status::InvalidArgument("alerting.alertmanagers must be a list");
    for (const auto& am : kv.second) {
      AlertmanagerConfig out;
      for (const auto& field : am) {
        const std::string name = field.first.as<std::string>();
        const YAML::Node& value = field.second;
        if (name == "static_configs") {
          for (const auto& sc : value) {
            for (const auto& f : sc) {
              if (f.first.as<std::string>() != "targets") {
                return Status::InvalidArgument("alerting.alertmanagers[].static_configs[]." + f.first.as<std::string>() +
                                               " is not supported yet (targets is)");
              }
              for (const auto& t : f.second) out.targets.push_back(t.as<std::string>());
            }
          }
        } else if (name == "scheme") {
          out.scheme = value.as<std::string>();
          if (out.scheme != "http") {
            return Status::InvalidArgument("alerting.alertmanagers[].scheme \"" + out.scheme +
                                           "\" is not supported yet (http is)");
          }
        } else if (name == "path_prefix") {
          out.path_prefix = value.as<std::string>();
        } else if (name == "timeout") {
          ASSIGN_OR_RETURN(out.timeout_ms, ParseDuration(value.as<std::string>()));
        } else if (name == "api_version") {
          if (value.as<std::string>() != "v2") {
            return Status::InvalidArgument("alerting.alertmanagers[].api_version must be v2 (Alertmanager 0.16 on)");
          }
        } else {
          return Status::InvalidArgument("alerting.alertmanagers[]." + name + " is not supported yet");
        }
      }
      c->alertmanagers.push_back(std::move(out));
    }
  }
  return Status::OK();
}

// `scrape_configs`, then those of each `scrape_config_files` glob (each
// file holds a `scrape_configs` list; job names unique across all), with
// the globals read before.
Status LoadScrapeConfigs(const YAML::Node& inline_configs, const YAML::Node& files, const std::string& path,
                         Config* c) {
  const std::string base = std::filesystem::path(path).parent_path().string();
  const auto names =
      c->name_validation == "legacy" ? model::Labels::NameScheme::kLegacy : model::Labels::NameScheme::kUtf8;
  YAML::Node all(YAML::NodeType::Sequence);
  if (inline_configs.IsDefined() && !inline_configs.IsNull()) {
    if (!inline_configs.IsSequence()) return Status::InvalidArgument("scrape_configs must be a list");
    for (const auto& n : inline_configs) all.push_back(n);
  }
  if (files.IsDefined() && !files.IsNull()) {
    if (!files.IsSequence()) return Status::InvalidArgument("scrape_config_files must be a list of file names or globs");
    for (const auto& pattern : files) {
      std::string glob_pattern = pattern.as<std::string>();
      if (!std::filesystem::path(glob_pattern).is_absolute()) glob_pattern = (std::filesystem::path(base) / glob_pattern).string();
      ASSIGN_OR_RETURN(std::vector<std::string> matched, io::Glob(glob_pattern));
      for (const auto& file : matched) {
        YAML::Node root = YAML::LoadFile(file);
        for (const auto& kv : root) {
          if (kv.first.as<std::string>() != "scrape_configs") {
            return Status::InvalidArgument(file + ": only scrape_configs may be in a scrape config file");
          }
          for (const auto& n : kv.second) all.push_back(n);
        }
      }
    }
  }
  auto parsed = scrape::ParseScrapeConfigs(all, c->scrape_globals, base, names);
  if (!parsed.ok()) return parsed.status();
  c->scrape_configs = *std::move(parsed);
  return Status::OK();
}

}  // namespace

Status LoadConfigFile(const std::string& path, Config* config) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (root.IsNull()) return Status::OK();
    if (!root.IsMap()) return Status::InvalidArgument(path + ": expected a mapping at top level");
    // Prometheus's sections first, as Prometheus writes them; the rest is
    // MyTSDB's own keys.
    YAML::Node own(YAML::NodeType::Map);
    YAML::Node scrape_configs, scrape_config_files;
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      if (key == "scrape_configs") {
        scrape_configs = kv.second;
      } else if (key == "scrape_config_files") {
        scrape_config_files = kv.second;
      } else if (key == "global") {
        RETURN_NOT_OK(ApplyGlobal(kv.second, config).WithContext(path));
      } else if (key == "alerting") {
        RETURN_NOT_OK(ApplyAlerting(kv.second, config).WithContext(path));
      } else if (key == "rule_files") {
        if (!kv.second.IsSequence() && !kv.second.IsNull()) {
          return Status::InvalidArgument(path + ": rule_files must be a list of file names or globs");
        }
        config->rule_files.clear();
        for (const auto& f : kv.second) config->rule_files.push_back(f.as<std::string>());
        config->rule_files_base = std::filesystem::path(path).parent_path().string();
      } else {
        own[kv.first] = kv.second;
      }
    }
    RETURN_NOT_OK(LoadScrapeConfigs(scrape_configs, scrape_config_files, path, config).WithContext(path));
    return Walk(own, "", config).WithContext(path);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": " + e.what());
  }
}

}  // namespace mytsdb::app
