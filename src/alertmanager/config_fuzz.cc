// Any bytes as matchers (silences, amtool's arguments), as a `route`
// section and as a whole configuration file: parsing ends with a result or
// an error, never a crash; what parses routes an alert and evaluates its
// time intervals without one.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "alertmanager/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string text(reinterpret_cast<const char*>(bytes), size);
  const mytsdb::model::Labels labels{{"alertname", "x"}, {"severity", "page"}, {"team", "db"}};
  if (auto matchers = mytsdb::alertmanager::ParseMatchers(text); matchers.ok()) {
    (void)mytsdb::alertmanager::MatchesAll(*matchers, labels);
    (void)mytsdb::alertmanager::MatchersString(*matchers);
  }
  if (auto config = mytsdb::alertmanager::LoadConfig(text); config.ok()) {
    (void)config->route->Match(labels);
    (void)config->route->TreeString();
    for (const auto& [name, interval] : config->time_intervals) {
      (void)interval.Contains(0);
      (void)interval.Contains(1'700'000'000'000);
    }
  }
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception&) {
    return 0;
  }
  if (!node.IsMap()) return 0;
  if (auto route = mytsdb::alertmanager::Route::FromYaml(node); route.ok()) {
    (void)(*route)->Match(labels);
  }
  return 0;
}
