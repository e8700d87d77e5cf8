// Any bytes as a user's scrape configuration (scrape_configs with the
// scrape keys of `global`) and as a discovery file or HTTP SD reply: an
// error or a configuration that holds what it says; never a crash.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "scrape/discovery.h"
#include "scrape/scrape_config.h"
#include "scrape/target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string text(reinterpret_cast<const char*>(bytes), size);
  using namespace mytsdb::scrape;
  (void)ParseTargetGroups(text, "fuzz");
  try {
    YAML::Node root = YAML::Load(text);
    ScrapeGlobals globals;
    if (root.IsMap() && root["global"].IsMap()) {
      for (const auto& kv : root["global"]) {
        if (!TakeGlobalKey(kv.first.as<std::string>(), kv.second, &globals).ok()) return 0;
      }
    }
    auto configs = ParseScrapeConfigs(root.IsMap() ? root["scrape_configs"] : root, globals, "/etc");
    if (!configs.ok()) return 0;
    for (const ScrapeConfig& c : *configs) {
      if (c.job_name.empty() || c.scrape_timeout_ms > c.scrape_interval_ms || c.scrape_protocols.empty()) std::abort();
      // Every static target goes through the target labels as a pool does.
      for (const auto& group : c.static_configs) {
        for (const auto& t : group.targets) {
          auto labels = TargetLabels(c, DiscoveredLabels(c, {{"__address__", t}}, group.labels));
          if (labels.ok() && labels->has_value()) (void)TargetUrl(c, **labels);
        }
      }
    }
  } catch (const YAML::Exception&) {
    // yaml-cpp's own errors on malformed YAML, as LoadConfigFile catches them.
  }
  return 0;
}
