#include "scrape/discovery.h"

#include <re2/re2.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>


#include "io/file_system.h"
#include "promconfig/http_client.h"

namespace mytsdb::scrape {

namespace {

std::string SizeAndTime(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_size) + "/" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

// Prometheus's HTTP SD check: application/json, optionally with charset
// utf-8, in any case.
bool IsJsonContentType(std::string_view content_type) {
  static const RE2 kJson(R"((?i)application/json(;\s*charset=("utf-8"|utf-8))?)");
  while (!content_type.empty() && std::isspace(static_cast<unsigned char>(content_type.back()))) {
    content_type.remove_suffix(1);
  }
  while (!content_type.empty() && std::isspace(static_cast<unsigned char>(content_type.front()))) {
    content_type.remove_prefix(1);
  }
  return RE2::FullMatch(content_type, kJson);
}

bool SameGroups(const std::vector<TargetGroup>& a, const std::vector<TargetGroup>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].targets != b[i].targets || a[i].labels != b[i].labels) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<TargetGroup>> ParseTargetGroups(std::string_view text, const std::string& source) {
  std::vector<TargetGroup> out;
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (root.IsNull()) return out;
    if (!root.IsSequence()) return Status::InvalidArgument(source + ": expected a list of target groups");
    for (const auto& g : root) {
      if (g.IsNull()) return Status::InvalidArgument(source + ": nil target group item found");
      if (!g.IsMap()) return Status::InvalidArgument(source + ": a target group must be a mapping");
      TargetGroup group;
      group.source = source + ":" + std::to_string(out.size());
      for (const auto& kv : g) {
        const std::string key = kv.first.as<std::string>();
        if (key == "targets") {
          if (!kv.second.IsSequence() && !kv.second.IsNull()) {
            return Status::InvalidArgument(source + ": targets must be a list");
          }
          for (const auto& t : kv.second) group.targets.push_back(t.as<std::string>());
        } else if (key == "labels") {
          if (!kv.second.IsMap() && !kv.second.IsNull()) {
            return Status::InvalidArgument(source + ": labels must be a mapping");
          }
          for (const auto& l : kv.second) {
            const std::string name = l.first.as<std::string>();
            if (name.empty()) return Status::InvalidArgument(source + ": \"\" is not a valid label name");
            group.labels[name] = l.second.IsNull() ? "" : l.second.as<std::string>();
          }
        } else {
          return Status::InvalidArgument(source + ": unknown field \"" + key + "\" in a target group");
        }
      }
      out.push_back(std::move(group));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source + ": " + e.what());
  }
  return out;
}

Discovery::Discovery(const ScrapeConfig& config) : job_(config.job_name), static_(config.static_configs) {
  for (const auto& f : config.file_sd_configs) files_.push_back({f, 0, {}});
  for (const auto& h : config.http_sd_configs) http_.push_back({h, 0, {}});
}

bool Discovery::Refresh(int64_t now_ms) {
  bool changed = false;
  for (auto& f : files_) changed = RefreshFiles(&f, now_ms) || changed;
  for (auto& h : http_) changed = RefreshHttp(&h, now_ms) || changed;
  return changed;
}

bool Discovery::RefreshFiles(FileProvider* provider, int64_t now_ms) {
  const bool full = now_ms >= provider->next_full_read_ms;
  if (full) provider->next_full_read_ms = now_ms + provider->config.refresh_interval_ms;
  std::map<std::string, FileState> next;
  for (const auto& pattern : provider->config.files) {
    for (const auto& path : io::Glob(pattern).ValueOr({})) next.emplace(path, FileState{});
  }
  bool changed = next.size() != provider->files.size();
  for (auto& [path, state] : next) {
    auto old = provider->files.find(path);
    state.size_and_time = SizeAndTime(path);
    if (old != provider->files.end()) state.groups = old->second.groups;
    if (!full && old != provider->files.end() && old->second.size_and_time == state.size_and_time) continue;
    auto text = io::PosixFileSystem()->ReadFile(path);
    auto groups = text.ok() ? ParseTargetGroups(*text, path) : Result<std::vector<TargetGroup>>(text.status());
    if (!groups.ok()) {
      // Prometheus keeps what the file held before.
      spdlog::error("scrape: job {}: file discovery: {}", job_, groups.status().message());
      continue;
    }
    for (auto& g : *groups) g.labels["__meta_filepath"] = path;
    changed = changed || old == provider->files.end() || !SameGroups(*groups, old->second.groups);
    state.groups = *std::move(groups);
  }
  for (const auto& [path, state] : provider->files) changed = changed || !next.count(path);
  provider->files = std::move(next);
  return changed;
}

bool Discovery::RefreshHttp(HttpProvider* provider, int64_t now_ms) {
  if (now_ms < provider->next_fetch_ms) return false;
  provider->next_fetch_ms = now_ms + provider->config.refresh_interval_ms;
  const std::string& url = provider->config.url;
  auto client = promconfig::MakeHttpClient(url, provider->config.http,
                                           std::chrono::milliseconds(provider->config.refresh_interval_ms),
                                           "MyTSDB/http-sd");
  Status error;
  std::vector<TargetGroup> groups;
  if (!client.ok()) {
    error = client.status();
  } else if (auto res = client->client->Get(client->target.c_str(), client->headers); !res) {
    error = Status::Unavailable(httplib::to_string(res.error()));
  } else if (res->status != 200) {
    error = Status::Unavailable("server returned HTTP status " + std::to_string(res->status) + " " + res->reason);
  } else if (!IsJsonContentType(res->get_header_value("Content-Type"))) {
    error = Status::InvalidArgument("unsupported content type \"" + res->get_header_value("Content-Type") + "\"");
  } else if (auto parsed = ParseTargetGroups(res->body, url); !parsed.ok()) {
    error = parsed.status();
  } else {
    groups = *std::move(parsed);
  }
  if (!error.ok()) {
    spdlog::error("scrape: job {}: HTTP discovery from {}: {}", job_, url, error.message());
    return false;
  }
  for (auto& g : groups) g.labels["__meta_url"] = url;
  const bool changed = !SameGroups(groups, provider->groups);
  provider->groups = std::move(groups);
  return changed;
}

std::vector<Discovery::Target> Discovery::Targets() const {
  std::vector<Target> out;
  auto add = [&out](const TargetGroup& g) {
    for (const auto& t : g.targets) out.push_back({{{"__address__", t}}, &g});
  };
  for (const auto& g : static_) add(g);
  for (const auto& f : files_) {
    for (const auto& [path, state] : f.files) {
      for (const auto& g : state.groups) add(g);
    }
  }
  for (const auto& h : http_) {
    for (const auto& g : h.groups) add(g);
  }
  return out;
}

}  // namespace mytsdb::scrape
