// Prometheus's `scrape_configs` (and the scrape keys of `global`), decoded
// strictly and checked as Prometheus 3 checks them, with its messages:
// defaults from `global`, a timeout no longer than the interval, known
// scrape protocols, the HTTP client's checks, relabel configs validated,
// no URL where a static target's host:port goes. Cloud and Kubernetes
// discovery are refused with a message (docs/SCRAPING.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/labels.h"
#include "promconfig/http_client_config.h"
#include "relabel/relabel.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace mytsdb::scrape {

// What `global` says about scraping; each job takes what it leaves out.
struct ScrapeGlobals {
  int64_t scrape_interval_ms = 60'000;
  int64_t scrape_timeout_ms = 10'000;
  std::vector<std::string> scrape_protocols;  // empty: Prometheus's default order
  uint64_t body_size_limit = 0;               // 0: none, here and below
  uint64_t sample_limit = 0;
  uint64_t target_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  uint64_t keep_dropped_targets = 0;
};

// Reads one key of `global` if it is a scraping key (true), else false.
Result<bool> TakeGlobalKey(const std::string& key, const YAML::Node& value, ScrapeGlobals* globals);

// A target group: each target's __address__, and labels for all of them.
struct TargetGroup {
  std::vector<std::string> targets;
  std::map<std::string, std::string> labels;
  std::string source;  // where it came from (a file, a URL, "static/N")
};

struct FileSdConfig {
  std::vector<std::string> files;  // globs, made absolute from the config file's directory
  int64_t refresh_interval_ms = 5 * 60'000;
};

struct HttpSdConfig {
  std::string url;
  int64_t refresh_interval_ms = 60'000;
  promconfig::HttpClientConfig http;
};

struct ScrapeConfig {
  std::string job_name;
  int64_t scrape_interval_ms = 0;
  int64_t scrape_timeout_ms = 0;
  std::vector<std::string> scrape_protocols;
  std::string fallback_scrape_protocol;
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  std::map<std::string, std::vector<std::string>> params;
  bool honor_labels = false;
  bool honor_timestamps = true;
  bool track_timestamps_staleness = false;
  bool enable_compression = true;
  promconfig::HttpClientConfig http;
  uint64_t body_size_limit = 0;
  uint64_t sample_limit = 0;
  uint64_t target_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  uint64_t keep_dropped_targets = 0;
  std::vector<relabel::Config> relabel_configs;
  std::vector<relabel::Config> metric_relabel_configs;
  std::vector<TargetGroup> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  std::vector<HttpSdConfig> http_sd_configs;

  // The configuration as written after defaults, for comparing two loads
  // (a reload keeps a job whose text did not change).
  std::string fingerprint;
};

// A `scrape_configs` list. `base_dir` (the config file's directory) makes
// relative file paths absolute, as Prometheus does.
Result<std::vector<ScrapeConfig>> ParseScrapeConfigs(const YAML::Node& node, const ScrapeGlobals& globals,
                                                     const std::string& base_dir,
                                                     model::Labels::NameScheme names = model::Labels::NameScheme::kUtf8);

// units.Base2Bytes as Prometheus reads body_size_limit: "100MB" is
// 100 MiB, "1KiB", "512B", a bare number of bytes.
Result<uint64_t> ParseBase2Bytes(std::string_view text);

}  // namespace mytsdb::scrape
