// `mytsdb check rules FILE...`: checks rule files as `promtool check rules`
// does (docs/RULES.md), with its output: "Checking FILE", then "SUCCESS: N
// rules found" or "FAILED:" and one line a problem. Rules with `sql:`
// (MyTSDB's extension) have their query's syntax checked. Exit code 0 when every
// file is valid, 1 otherwise.
#pragma once

#include <string>
#include <vector>

#include "model/labels.h"

namespace mytsdb::app {

struct CheckRulesOptions {
  std::vector<std::string> files;
  model::Labels::NameScheme names = model::Labels::NameScheme::kUtf8;
  bool strict_prometheus = false;  // rules with `sql:` are errors
};

int RunCheckRules(const CheckRulesOptions& options);

}  // namespace mytsdb::app
