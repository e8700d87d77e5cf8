// Reading Prometheus's and Alertmanager's YAML with their conventions: Prometheus durations,
// lists of strings, and the wording of its strict decoder for a field it
// does not know, so that errors read as theirs do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace mytsdb::promconfig {

// Prometheus's model.Duration ("30s", "1h30m", "1d", "0").
Result<int64_t> ParseYamlDuration(const YAML::Node& node);

// A list of strings (null: empty). Throws YAML::Exception when not a list.
std::vector<std::string> YamlStringList(const YAML::Node& node);

// "yaml: unmarshal errors:\n  line N: field KEY not found in type TYPE",
// as Go's yaml.UnmarshalStrict says it; `key` is the mapping's key node.
Status UnknownField(const YAML::Node& key, const std::string& type);

}  // namespace mytsdb::promconfig
