// Relabeling with Prometheus's semantics (model/relabel): a list of steps,
// each an action on a label set, applied in order; a step may drop the set.
// Used by `alerting.alert_relabel_configs` (the notifier) and, later, by
// scraping's relabel_configs and metric_relabel_configs.
//
//   replace    the source labels' values joined by `separator` must match
//              `regex` (anchored); `target_label` ($1, ${name} expanded) is
//              set to `replacement` expanded; empty: removed
//   keep/drop  the set is kept/dropped when the joined value matches
//   keepequal/dropequal  ... when it equals the target label's value
//   hashmod    target = MD5 of the joined value (last 8 bytes) % modulus
//   labelmap   labels whose name matches are copied under the name
//              `replacement` expands to
//   labeldrop/labelkeep  labels whose name matches are removed/kept
//   lowercase/uppercase  target = the joined value, case-mapped
//
// Regexes are RE2 (Go's regexp has the same syntax), anchored as
// ^(?:regex)$. Labels left with an empty value are removed.
#pragma once

#include <re2/re2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/labels.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace mytsdb::relabel {

enum class Action {
  kReplace, kKeep, kDrop, kKeepEqual, kDropEqual, kHashMod, kLabelMap, kLabelDrop, kLabelKeep, kLowercase,
  kUppercase
};
const char* ActionName(Action action);

struct Config {
  Action action = Action::kReplace;
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::string regex = "(.*)";  // as written, unanchored
  bool regex_given = false;    // the default counts as given when written out
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  std::shared_ptr<const RE2> compiled;  // ^(?:regex)$
};

// Checks a config as Prometheus's Config.Validate does, with its messages,
// and compiles its regex. `names`: how label names are checked.
Status Validate(Config* config, model::Labels::NameScheme names = model::Labels::NameScheme::kUtf8);

// A list of relabel configs from YAML (a sequence of maps, each decoded
// strictly: an unknown field is an error), validated.
Result<std::vector<Config>> ParseConfigs(const YAML::Node& node,
                                         model::Labels::NameScheme names = model::Labels::NameScheme::kUtf8);

// Applies `configs` to `labels` in order; false if a step drops the set
// (then `labels` is unspecified).
bool Process(const std::vector<Config>& configs, model::Labels* labels,
             model::Labels::NameScheme names = model::Labels::NameScheme::kUtf8);

// Go's Regexp.Expand: `tmpl` with $1, ${1}, $name and ${name} replaced by
// the groups of a match (`groups` from RE2, group 0 the whole match), $$ by
// $; a group that did not take part, or does not exist, is empty.
std::string Expand(const RE2& re, std::string_view tmpl, const std::vector<re2::StringPiece>& groups);

}  // namespace mytsdb::relabel
