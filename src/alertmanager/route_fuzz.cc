// Any bytes as matchers (silences, amtool's arguments) and as a `route`
// section: parsing ends with a result or an error, never a crash, and what
// parses routes an alert without one.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "alertmanager/route.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string text(reinterpret_cast<const char*>(bytes), size);
  const mytsdb::model::Labels labels{{"alertname", "x"}, {"severity", "page"}, {"team", "db"}};
  if (auto matchers = mytsdb::alertmanager::ParseMatchers(text); matchers.ok()) {
    (void)mytsdb::alertmanager::MatchesAll(*matchers, labels);
    (void)mytsdb::alertmanager::MatchersString(*matchers);
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
    (void)(*route)->TreeString();
  }
  return 0;
}
