#include "scrape/target.h"

#include "model/duration.h"
#include "relabel/relabel.h"

namespace mytsdb::scrape {

namespace {

constexpr std::string_view kParamPrefix = "__param_";
constexpr std::string_view kMetaPrefix = "__meta_";

// Go's url.QueryEscape.
std::string QueryEscape(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

}  // namespace

LabelMap DiscoveredLabels(const ScrapeConfig& config, const LabelMap& target, const LabelMap& group) {
  LabelMap out = target;
  for (const auto& [name, value] : group) out.emplace(name, value);
  auto set_default = [&out](const std::string& name, const std::string& value) {
    if (auto it = out.find(name); it == out.end() || it->second.empty()) out[name] = value;
  };
  set_default("job", config.job_name);
  set_default("__scrape_interval__", model::FormatDuration(config.scrape_interval_ms));
  set_default("__scrape_timeout__", model::FormatDuration(config.scrape_timeout_ms));
  set_default("__metrics_path__", config.metrics_path);
  set_default("__scheme__", config.scheme);
  for (const auto& [name, values] : config.params) {
    if (!values.empty()) set_default(std::string(kParamPrefix) + name, values[0]);
  }
  return out;
}

Result<std::optional<LabelMap>> TargetLabels(const ScrapeConfig& config, const LabelMap& discovered) {
  std::vector<model::Label> items;
  for (const auto& [name, value] : discovered) items.push_back({name, value});
  model::Labels labels = model::Labels::FromSorted(std::move(items));
  if (!relabel::Process(config.relabel_configs, &labels)) return std::optional<LabelMap>();
  LabelMap out;
  for (const auto& l : labels) out[l.name] = l.value;
  const std::string address = out["__address__"];
  if (address.empty()) return Status::InvalidArgument("no address");
  if (address.find('/') != std::string::npos) return Status::InvalidArgument("\"" + address + "\" is not a valid hostname");
  auto interval = model::ParseDuration(out["__scrape_interval__"]);
  if (!interval.ok()) return Status::InvalidArgument("error parsing scrape interval: " + interval.status().message());
  if (*interval == 0) return Status::InvalidArgument("scrape interval cannot be 0");
  auto timeout = model::ParseDuration(out["__scrape_timeout__"]);
  if (!timeout.ok()) return Status::InvalidArgument("error parsing scrape timeout: " + timeout.status().message());
  if (*timeout == 0) return Status::InvalidArgument("scrape timeout cannot be 0");
  if (*timeout > *interval) {
    return Status::InvalidArgument("scrape timeout cannot be greater than scrape interval (\"" +
                                   out["__scrape_timeout__"] + "\" > \"" + out["__scrape_interval__"] + "\")");
  }
  for (auto it = out.begin(); it != out.end();) {
    it = it->first.starts_with(kMetaPrefix) || it->second.empty() ? out.erase(it) : std::next(it);
  }
  if (out["instance"].empty()) out["instance"] = address;
  for (const auto& [name, value] : out) {
    if (!model::IsValidUtf8(value)) return Status::InvalidArgument("invalid label value for \"" + name + "\"");
  }
  return std::optional<LabelMap>(std::move(out));
}

model::Labels PublicLabels(const LabelMap& labels) {
  std::vector<model::Label> items;
  for (const auto& [name, value] : labels) {
    if (!name.starts_with("__")) items.push_back({name, value});
  }
  return model::Labels::FromSorted(std::move(items));
}

std::string TargetUrl(const ScrapeConfig& config, const LabelMap& labels) {
  std::map<std::string, std::vector<std::string>> params = config.params;
  for (const auto& [name, value] : labels) {
    if (!name.starts_with(kParamPrefix)) continue;
    auto& values = params[name.substr(kParamPrefix.size())];
    if (values.empty()) {
      values.push_back(value);
    } else {
      values[0] = value;
    }
  }
  auto get = [&labels](const char* name) {
    auto it = labels.find(name);
    return it == labels.end() ? std::string() : it->second;
  };
  std::string path = get("__metrics_path__");
  if (!path.empty() && path[0] != '/') path.insert(0, "/");
  std::string url = get("__scheme__") + "://" + get("__address__") + path;
  std::string query;
  for (const auto& [name, values] : params) {
    for (const auto& v : values) query += (query.empty() ? "" : "&") + QueryEscape(name) + "=" + QueryEscape(v);
  }
  if (!query.empty()) url += "?" + query;
  return url;
}

int64_t FirstScrapeTime(uint64_t target_hash, uint64_t seed, int64_t interval_ms, int64_t now_ms) {
  const int64_t base = interval_ms - now_ms % interval_ms;  // to the next interval boundary
  const auto offset = static_cast<int64_t>((target_hash ^ seed) % static_cast<uint64_t>(interval_ms));
  int64_t next = base + offset;
  if (next > interval_ms) next -= interval_ms;
  return now_ms + next;
}

}  // namespace mytsdb::scrape
