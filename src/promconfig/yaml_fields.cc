#include "promconfig/yaml_fields.h"

#include <yaml-cpp/yaml.h>

#include "model/duration.h"

namespace mytsdb::promconfig {

Result<int64_t> ParseYamlDuration(const YAML::Node& node) {
  const std::string s = node.as<std::string>();
  if (s == "0") return 0;
  auto ms = model::ParseDuration(s);
  if (!ms.ok()) return Status::InvalidArgument("not a valid duration string: \"" + s + "\"");
  return *ms;
}

std::vector<std::string> YamlStringList(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) throw YAML::Exception(node.Mark(), "expected a list");
  for (const YAML::Node& n : node) out.push_back(n.as<std::string>());
  return out;
}

Status UnknownField(const YAML::Node& key, const std::string& type) {
  return Status::InvalidArgument("yaml: unmarshal errors:\n  line " + std::to_string(key.Mark().line + 1) + ": field " +
                                 key.as<std::string>() + " not found in type " + type);
}

}  // namespace mytsdb::promconfig
