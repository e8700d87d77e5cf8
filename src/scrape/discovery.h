// A job's target groups, as Prometheus's discovery delivers them:
//
//  - static_configs, as written;
//  - file_sd_configs: JSON or YAML files (globs) of groups, each target
//    with __meta_filepath; the files are watched (looked at every second:
//    a change of size, time or the set of files re-reads them) and re-read
//    every refresh_interval. A file that does not parse keeps its last
//    groups, with the error logged, as Prometheus does;
//  - http_sd_configs: a JSON list of groups fetched every
//    refresh_interval, each target with __meta_url; a failed fetch keeps
//    the last groups.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "scrape/scrape_config.h"

namespace mytsdb::scrape {

// A file or an HTTP SD reply: a list of {targets: [...], labels: {...}}
// (JSON or YAML), checked as Prometheus checks it.
Result<std::vector<TargetGroup>> ParseTargetGroups(std::string_view text, const std::string& source);

class Discovery {
 public:
  explicit Discovery(const ScrapeConfig& config);

  // Looks at what is due at `now_ms`; true when the groups changed.
  bool Refresh(int64_t now_ms);
  // Every group, the static ones first. Each target carries its labels
  // (__address__ and the provider's __meta_*).
  struct Target {
    std::map<std::string, std::string> labels;  // the target's own
    const TargetGroup* group;
  };
  std::vector<Target> Targets() const;
  bool dynamic() const { return !files_.empty() || !http_.empty(); }

 private:
  struct FileState {
    std::string size_and_time;  // of the last read, to see a change
    std::vector<TargetGroup> groups;
  };
  struct FileProvider {
    FileSdConfig config;
    int64_t next_full_read_ms = 0;
    std::map<std::string, FileState> files;  // by path
  };
  struct HttpProvider {
    HttpSdConfig config;
    int64_t next_fetch_ms = 0;
    std::vector<TargetGroup> groups;
  };
  bool RefreshFiles(FileProvider* provider, int64_t now_ms);
  bool RefreshHttp(HttpProvider* provider, int64_t now_ms);

  std::string job_;
  std::vector<TargetGroup> static_;
  std::vector<FileProvider> files_;
  std::vector<HttpProvider> http_;
};

}  // namespace mytsdb::scrape
