// Any bytes as a list of relabel configs (a config file's
// alert_relabel_configs): parsing ends with configs or an error, never a
// crash, and configs that parse run on a label set without one.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "relabel/relabel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  YAML::Node node;
  try {
    node = YAML::Load(std::string(reinterpret_cast<const char*>(bytes), size));
  } catch (const YAML::Exception&) {
    return 0;
  }
  auto configs = mytsdb::relabel::ParseConfigs(node);
  if (!configs.ok()) return 0;
  mytsdb::model::Labels labels{{"__address__", "host:9100"}, {"instance", "a"}, {"job", "node"}};
  (void)mytsdb::relabel::Process(*configs, &labels);
  return 0;
}
