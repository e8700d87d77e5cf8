#include "rules/rule_file.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "promql/parser.h"
#include "template/prometheus_functions.h"
#include "template/quote.h"

namespace mytsdb::rules {

namespace {

// A position as yaml.v3 reports it: 1-based line and column, 0:0 for a
// node that is not there.
struct Pos {
  int line = 0;
  int column = 0;
  std::string ToString() const { return std::to_string(line) + ":" + std::to_string(column); }
};

Pos PosOf(const YAML::Node& node) {
  if (!node.IsDefined() || node.Mark().is_null()) return {};
  return {node.Mark().line + 1, node.Mark().column + 1};
}

// yaml.v3's tag of a scalar as it resolves plain scalars (YAML 1.2 core
// schema plus the 1.1 forms Go still reads), for its type errors.
std::string TagOf(const YAML::Node& node) {
  if (node.IsMap()) return "!!map";
  if (node.IsSequence()) return "!!seq";
  if (node.IsNull()) return "!!null";
  if (node.Tag() == "!") return "!!str";  // quoted
  const std::string& s = node.Scalar();
  static const std::regex kInt(R"([-+]?(0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+))");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  if (std::regex_match(s, kInt)) return "!!int";
  if (std::regex_match(s, kFloat)) return "!!float";
  if (s == "true" || s == "false" || s == "True" || s == "False" || s == "TRUE" || s == "FALSE") return "!!bool";
  return "!!str";
}

// Ends decoding at a duration that does not parse: yaml.v3 stops at the
// first error of a custom unmarshaler and reports it alone.
struct DurationError {
  std::string message;
};

// Decodes the YAML tree into the rule file's types the way yaml.v3 with
// KnownFields(true) decodes into Prometheus's structs: type errors and
// unknown fields are collected ("line N: ..."), a bad duration ends it.
class Decoder {
 public:
  std::vector<std::string> type_errors;

  // Prometheus decodes the file twice, into its types and into YAML nodes
  // for the positions; where the second fails too, its error is reported
  // as a second one (node_errors).
  std::vector<std::string> node_errors;

  RuleFile Decode(const YAML::Node& root) {
    RuleFile file;
    if (!root.IsDefined() || root.IsNull()) return file;
    if (!root.IsMap()) {
      TypeError(root, "rulefmt.RuleGroups");
      node_errors.push_back(TypeErrorText(root, "rulefmt.ruleGroups"));
      return file;
    }
    ForEachField(root, "rulefmt.RuleGroups", [&](const std::string& key, const YAML::Node& value) {
      if (key != "groups") return false;
      if (value.IsNull()) return true;
      if (!value.IsSequence()) {
        TypeError(value, "[]rulefmt.RuleGroup");
        node_errors.push_back(TypeErrorText(value, "[]yaml.Node"));
        return true;
      }
      for (const YAML::Node& g : value) file.groups.push_back(DecodeGroup(g));
      return true;
    });
    return file;
  }

 private:
  static std::string TypeErrorText(const YAML::Node& node, const std::string& go_type) {
    std::string value;
    if (node.IsScalar()) value = " `" + node.Scalar() + "`";
    return "line " + std::to_string(PosOf(node).line) + ": cannot unmarshal " + TagOf(node) + value + " into " +
           go_type;
  }
  void TypeError(const YAML::Node& node, const std::string& go_type) {
    type_errors.push_back(TypeErrorText(node, go_type));
  }

  // Calls `field` for each key of a mapping; keys it does not know (it
  // returns false) and repeated keys are errors, as in yaml.v3.
  template <typename Fn>
  void ForEachField(const YAML::Node& map, const std::string& go_type, Fn field) {
    std::map<std::string, int> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      const int line = PosOf(it->first).line;
      if (auto [prev, fresh] = seen.emplace(key, line); !fresh) {
        type_errors.push_back("line " + std::to_string(line) + ": mapping key " + tmpl::GoQuote(key) +
                              " already defined at line " + std::to_string(prev->second));
        continue;
      }
      if (!field(key, it->second)) {
        type_errors.push_back("line " + std::to_string(line) + ": field " + key + " not found in type " + go_type);
      }
    }
  }

  std::string String(const YAML::Node& node) {
    if (node.IsNull()) return "";
    if (!node.IsScalar()) {
      TypeError(node, "string");
      return "";
    }
    return node.Scalar();
  }

  int64_t Int(const YAML::Node& node) {
    if (node.IsNull()) return 0;
    if (!node.IsScalar() || TagOf(node) != "!!int") {
      TypeError(node, "int");
      return 0;
    }
    try {
      return node.as<int64_t>();
    } catch (const YAML::Exception&) {
      TypeError(node, "int");
      return 0;
    }
  }

  int64_t Duration(const YAML::Node& node) {
    if (node.IsNull()) return 0;
    if (!node.IsScalar()) {
      TypeError(node, "string");
      return 0;
    }
    auto ms = ParseRuleDurationMs(node.Scalar());
    if (!ms) {
      throw DurationError{node.Scalar().empty() ? "empty duration string"
                                                : "not a valid duration string: " + tmpl::GoQuote(node.Scalar())};
    }
    return *ms;
  }

  LabelMap StringMap(const YAML::Node& node) {
    LabelMap out;
    if (node.IsNull()) return out;
    if (!node.IsMap()) {
      TypeError(node, "map[string]string");
      return out;
    }
    ForEachField(node, "map[string]string", [&](const std::string& key, const YAML::Node& value) {
      out[key] = String(value);
      return true;
    });
    return out;
  }

  RuleGroup DecodeGroup(const YAML::Node& node) {
    RuleGroup g;
    group_positions.push_back(PosOf(node));
    rule_nodes.emplace_back();
    if (!node.IsMap()) {
      TypeError(node, "rulefmt.RuleGroup");
      return g;
    }
    ForEachField(node, "rulefmt.RuleGroup", [&](const std::string& key, const YAML::Node& value) {
      if (key == "name") {
        g.name = String(value);
      } else if (key == "interval") {
        g.interval_ms = Duration(value);
      } else if (key == "query_offset") {
        g.query_offset_ms = Duration(value);
      } else if (key == "limit") {
        g.limit = Int(value);
      } else if (key == "labels") {
        g.labels = StringMap(value);
      } else if (key == "rules") {
        if (value.IsNull()) return true;
        if (!value.IsSequence()) {
          TypeError(value, "[]rulefmt.RuleNode");
          return true;
        }
        for (const YAML::Node& r : value) g.rules.push_back(DecodeRule(r));
      } else {
        return false;
      }
      return true;
    });
    return g;
  }

  Rule DecodeRule(const YAML::Node& node) {
    Rule r;
    RuleNodes nodes;
    r.line = PosOf(node).line;
    if (!node.IsMap()) {
      TypeError(node, "rulefmt.RuleNode");
      rule_nodes.back().push_back(nodes);
      return r;
    }
    ForEachField(node, "rulefmt.RuleNode", [&](const std::string& key, const YAML::Node& value) {
      // record, alert and expr are yaml.Nodes in Prometheus: any YAML goes
      // in, and only a scalar has a value.
      if (key == "record") {
        nodes.record = PosOf(value);
        nodes.record_value = value.IsScalar() ? value.Scalar() : "";
      } else if (key == "alert") {
        nodes.alert = PosOf(value);
        nodes.alert_value = value.IsScalar() ? value.Scalar() : "";
      } else if (key == "expr") {
        nodes.expr = PosOf(value);
        r.expr = value.IsScalar() ? value.Scalar() : "";
      } else if (key == "sql") {
        nodes.sql = PosOf(value);
        nodes.has_sql = true;
        r.sql = value.IsScalar() ? value.Scalar() : "";
      } else if (key == "for") {
        r.for_ms = Duration(value);
      } else if (key == "keep_firing_for") {
        r.keep_firing_for_ms = Duration(value);
      } else if (key == "labels") {
        r.labels = StringMap(value);
      } else if (key == "annotations") {
        r.annotations = StringMap(value);
      } else {
        return false;
      }
      return true;
    });
    r.kind = nodes.alert_value.empty() && !nodes.record_value.empty() ? Rule::Kind::kRecording : Rule::Kind::kAlerting;
    r.name = nodes.alert_value.empty() ? nodes.record_value : nodes.alert_value;
    rule_nodes.back().push_back(nodes);
    return r;
  }

 public:
  // Where the parts of each rule were, for the validator's messages.
  struct RuleNodes {
    Pos record, alert, expr, sql;
    bool has_sql = false;
    std::string record_value, alert_value;
  };
  std::vector<Pos> group_positions;
  std::vector<std::vector<RuleNodes>> rule_nodes;
};

bool ValidLabelName(std::string_view name, model::Labels::NameScheme scheme) {
  return scheme == model::Labels::NameScheme::kLegacy ? model::IsValidLegacyLabelName(name)
                                                      : !name.empty() && model::IsValidUtf8(name);
}

bool ValidMetricName(std::string_view name, model::Labels::NameScheme scheme) {
  return scheme == model::Labels::NameScheme::kLegacy ? model::IsValidLegacyMetricName(name)
                                                      : !name.empty() && model::IsValidUtf8(name);
}

// The templates of an alerting rule's labels and annotations must parse
// (rulefmt's testTemplateParsing), with Prometheus's functions.
std::vector<std::string> TemplateErrors(const Rule& rule) {
  static const auto* funcs = new std::shared_ptr<const tmpl::FunctionMap>(tmpl::PrometheusFunctions({}));
  std::vector<std::string> errors;
  auto check = [&](const char* what, const LabelMap& map) {
    for (const auto& [key, text] : map) {
      auto t = tmpl::Template::Parse("__alert_" + rule.name, std::string(tmpl::kAlertTemplatePreamble) + text, *funcs);
      if (!t.ok()) errors.push_back(std::string(what) + " " + tmpl::GoQuote(key) + ": " + t.status().message());
    }
  };
  check("label", rule.labels);
  check("annotation", rule.annotations);
  return errors;
}

// rulefmt's RuleGroups.Validate.
std::vector<std::string> Validate(const RuleFile& file, const Decoder& decoded, const RuleFileOptions& options) {
  std::vector<std::string> errors;
  std::set<std::string> names;
  for (size_t j = 0; j < file.groups.size(); ++j) {
    const RuleGroup& g = file.groups[j];
    const Pos gpos = decoded.group_positions[j];
    if (g.name.empty()) errors.push_back(gpos.ToString() + ": Groupname must not be empty");
    if (!names.insert(g.name).second) {
      errors.push_back(gpos.ToString() + ": groupname: \"" + g.name + "\" is repeated in the same file");
    }
    for (const auto& [k, v] : g.labels) {
      if (!ValidLabelName(k, options.names) || k == "__name__") {
        errors.push_back(gpos.ToString() + ": group \"" + g.name + "\": invalid label name: " + k);
      }
    }
    for (size_t i = 0; i < g.rules.size(); ++i) {
      const Rule& r = g.rules[i];
      const Decoder::RuleNodes& n = decoded.rule_nodes[j][i];
      const std::string head = "group " + tmpl::GoQuote(g.name) + ", rule " + std::to_string(i + 1) + ", " +
                               tmpl::GoQuote(r.name) + ": ";
      auto at = [&](const Pos& p, const std::string& message) { errors.push_back(p.ToString() + ": " + head + message); };
      if (!n.record_value.empty() && !n.alert_value.empty()) {
        errors.push_back(n.record.ToString() + ": " + n.alert.ToString() + ": " + head +
                         "only one of 'record' and 'alert' must be set");
      }
      if (n.record_value.empty() && n.alert_value.empty()) at(n.record, "one of 'record' or 'alert' must be set");
      if (n.has_sql) {
        // MyTSDB's extension: `sql` instead of `expr`.
        if (!options.allow_sql) {
          at(n.sql, "field 'sql' is a MyTSDB extension, not allowed in Prometheus's rule files "
                    "(--strict-prometheus)");
        } else if (!r.expr.empty()) {
          at(n.sql, "only one of 'expr' and 'sql' must be set");
        } else if (r.sql.empty()) {
          at(n.sql, "field 'sql' must not be empty");
        } else if (!options.check_sql) {
          at(n.sql, "SQL rules are not available here");
        } else if (Status st = options.check_sql(r.sql); !st.ok()) {
          at(n.sql, "could not parse SQL: " + st.message());
        }
      } else if (r.expr.empty()) {
        at(n.expr, "field 'expr' must be set in rule");
      } else if (auto parsed = promql::ParseExpr(r.expr); !parsed.ok()) {
        at(n.expr, "could not parse expression: " + parsed.status().message());
      }
      if (!n.record_value.empty()) {
        if (!r.annotations.empty()) at(n.record, "invalid field 'annotations' in recording rule");
        if (r.for_ms != 0) at(n.record, "invalid field 'for' in recording rule");
        if (r.keep_firing_for_ms != 0) at(n.record, "invalid field 'keep_firing_for' in recording rule");
        if (!ValidMetricName(n.record_value, options.names)) {
          at(n.record, "invalid recording rule name: " + n.record_value);
        }
      }
      for (const auto& [k, v] : r.labels) {
        if (!ValidLabelName(k, options.names) || k == "__name__") errors.push_back(head + "invalid label name: " + k);
        if (!model::IsValidUtf8(v)) errors.push_back(head + "invalid label value: " + v);
      }
      for (const auto& [k, v] : r.annotations) {
        if (!ValidLabelName(k, options.names)) errors.push_back(head + "invalid annotation name: " + k);
      }
      if (!n.alert_value.empty()) {
        for (const std::string& e : TemplateErrors(r)) errors.push_back(head + e);
      }
    }
  }
  return errors;
}

}  // namespace

size_t RuleFile::RuleCount() const {
  size_t n = 0;
  for (const RuleGroup& g : groups) n += g.rules.size();
  return n;
}

std::optional<int64_t> ParseRuleDurationMs(std::string_view s) {
  if (s == "0") return 0;
  auto ms = promql::ParseDurationMs(s);
  if (!ms.ok()) return std::nullopt;
  return *ms;
}

ParsedRuleFile ParseRuleFile(std::string_view content, const RuleFileOptions& options) {
  ParsedRuleFile out;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(content));
  } catch (const YAML::Exception& e) {
    out.errors.push_back("yaml: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
    return out;
  }
  Decoder decoder;
  try {
    out.file = decoder.Decode(root);
  } catch (const DurationError& e) {
    out.errors.push_back(e.message);
    out.file = {};
    return out;
  } catch (const YAML::Exception& e) {
    out.errors.push_back("yaml: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
    out.file = {};
    return out;
  }
  if (!decoder.type_errors.empty()) {
    for (const auto* errors : {&decoder.type_errors, &decoder.node_errors}) {
      if (errors->empty()) continue;
      std::string message = "yaml: unmarshal errors:";
      for (const std::string& e : *errors) message += "\n  " + e;
      out.errors.push_back(message);
    }
    out.file = {};
    return out;
  }
  out.errors = Validate(out.file, decoder, options);
  return out;
}

ParsedRuleFile LoadRuleFile(const std::string& path, const RuleFileOptions& options) {
  ParsedRuleFile out;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    out.errors.push_back(path + ": read " + path + ": is a directory");
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.errors.push_back(path + ": open " + path + ": " + std::strerror(errno));
    return out;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  out = ParseRuleFile(buffer.str(), options);
  for (std::string& e : out.errors) e = path + ": " + e;
  return out;
}

}  // namespace mytsdb::rules
