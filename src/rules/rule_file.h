// Rule files as Prometheus reads them (model/rulefmt): groups of recording
// and alerting rules in YAML, decoded strictly (an unknown field is an
// error) and validated as Prometheus validates them, with its messages, so
// that `mytsdb check rules` and `promtool check rules` find the same
// problems (docs/RULES.md). Prometheus 3's group fields `query_offset` and
// `labels` are accepted; label and metric names follow the configured
// scheme (UTF-8 as Prometheus 3, or the legacy charset as 2.x).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/labels.h"

namespace mytsdb::rules {

using LabelMap = std::map<std::string, std::string, std::less<>>;

struct Rule {
  enum class Kind { kRecording, kAlerting };
  Kind kind = Kind::kAlerting;
  std::string name;  // `record` or `alert`
  std::string expr;
  // MyTSDB's extension (docs/RULES.md, "Conditions in SQL"): a SELECT whose
  // rows are the rule's result, instead of `expr`.
  std::string sql;
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  LabelMap labels;
  LabelMap annotations;
  int line = 0;  // of the rule in its file (1-based)
};

struct RuleGroup {
  std::string name;
  int64_t interval_ms = 0;  // 0: the global evaluation_interval
  int64_t limit = 0;        // 0: no limit
  std::optional<int64_t> query_offset_ms;
  LabelMap labels;  // added to every rule's results (Prometheus 3)
  std::vector<Rule> rules;
};

struct RuleFile {
  std::vector<RuleGroup> groups;
  size_t RuleCount() const;
};

struct RuleFileOptions {
  model::Labels::NameScheme names = model::Labels::NameScheme::kUtf8;
  // Whether rules may carry `sql:` (false: --strict-prometheus, files
  // Prometheus itself would load), and how its query is checked (syntax:
  // one SELECT); without a check, SQL rules are refused.
  bool allow_sql = true;
  std::function<Status(std::string_view sql)> check_sql;
};

// The groups of `content`, and every problem found, each worded as
// Prometheus words it ("5:15: group \"g\", rule 1, \"a:b\": could not
// parse expression: ..."), without the file name. Groups are meaningful
// only when there is no problem.
struct ParsedRuleFile {
  RuleFile file;
  std::vector<std::string> errors;
};
ParsedRuleFile ParseRuleFile(std::string_view content, const RuleFileOptions& options = {});

// Reads and parses `path`; errors are prefixed "PATH: " as promtool prints
// them (a file that cannot be read is one error).
ParsedRuleFile LoadRuleFile(const std::string& path, const RuleFileOptions& options = {});

// A Prometheus duration of a rule file ("5m", "1h30m", "0").
std::optional<int64_t> ParseRuleDurationMs(std::string_view s);

}  // namespace mytsdb::rules
