#include "rules/rule_file.h"

#include <gtest/gtest.h>

#include <string>

namespace mytsdb::rules {
namespace {

TEST(RuleFileTest, DecodesGroupsAndRules) {
  auto parsed = ParseRuleFile(R"(
groups:
  - name: node
    interval: 30s
    limit: 10
    query_offset: 1m
    labels: {team: infra}
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels: {source: rule}
      - alert: Down
        expr: up == 0
        for: 5m
        keep_firing_for: 1h30m
        labels: {severity: page}
        annotations: {summary: '{{ $labels.instance }} down'}
  - name: empty
)");
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0];
  ASSERT_EQ(parsed.file.groups.size(), 2u);
  const RuleGroup& g = parsed.file.groups[0];
  EXPECT_EQ(g.name, "node");
  EXPECT_EQ(g.interval_ms, 30'000);
  EXPECT_EQ(g.limit, 10);
  EXPECT_EQ(g.query_offset_ms, 60'000);
  EXPECT_EQ(g.labels.at("team"), "infra");
  ASSERT_EQ(g.rules.size(), 2u);
  EXPECT_EQ(g.rules[0].kind, Rule::Kind::kRecording);
  EXPECT_EQ(g.rules[0].name, "job:up:sum");
  EXPECT_EQ(g.rules[0].line, 9);
  EXPECT_EQ(g.rules[1].kind, Rule::Kind::kAlerting);
  EXPECT_EQ(g.rules[1].for_ms, 300'000);
  EXPECT_EQ(g.rules[1].keep_firing_for_ms, 5'400'000);
  EXPECT_EQ(g.rules[1].annotations.at("summary"), "{{ $labels.instance }} down");
  EXPECT_EQ(parsed.file.RuleCount(), 2u);
  EXPECT_TRUE(ParseRuleFile("").errors.empty());
  EXPECT_TRUE(ParseRuleFile("groups: []").errors.empty());
}

TEST(RuleFileTest, DecodingErrorsAsYamlV3WordsThem) {
  // Unknown fields, type errors and repeated keys are collected...
  auto parsed = ParseRuleFile(R"(groups:
  - name: g
    evaluation: 1m
    limit: many
    rules:
      - alert: A
        alert: B
        expresion: up
)");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0],
            "yaml: unmarshal errors:\n"
            "  line 3: field evaluation not found in type rulefmt.RuleGroup\n"
            "  line 4: cannot unmarshal !!str `many` into int\n"
            "  line 7: mapping key \"alert\" already defined at line 6\n"
            "  line 8: field expresion not found in type rulefmt.RuleNode");
  // ... a bad duration ends decoding and is the only error.
  parsed = ParseRuleFile("groups:\n  - name: g\n    interval: 1x\n    bogus: 1\n");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0], "not a valid duration string: \"1x\"");
  parsed = ParseRuleFile("groups:\n  - name: g\n   rules: []\n");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].rfind("yaml: line ", 0), 0u) << parsed.errors[0];
}

TEST(RuleFileTest, ValidationAsPrometheusWordsIt) {
  auto parsed = ParseRuleFile(R"(groups:
  - name: g
    rules:
      - record: a:b
        alert: AB
        expr: up
      - record: my-metric
        expr: sum(up) by
        for: 1m
      - alert: T
        expr: up
        labels: {severity: '{{ $labels.job '}
)", {.names = model::Labels::NameScheme::kLegacy});
  ASSERT_EQ(parsed.errors.size(), 5u);
  EXPECT_EQ(parsed.errors[0], "4:17: 5:16: group \"g\", rule 1, \"AB\": only one of 'record' and 'alert' must be set");
  EXPECT_EQ(parsed.errors[1].rfind("8:15: group \"g\", rule 2, \"my-metric\": could not parse expression: ", 0), 0u)
      << parsed.errors[1];
  EXPECT_EQ(parsed.errors[2], "7:17: group \"g\", rule 2, \"my-metric\": invalid field 'for' in recording rule");
  EXPECT_EQ(parsed.errors[3], "7:17: group \"g\", rule 2, \"my-metric\": invalid recording rule name: my-metric");
  EXPECT_EQ(parsed.errors[4],
            "group \"g\", rule 3, \"T\": label \"severity\": template: __alert_T:1: unclosed action");
}

TEST(RuleFileTest, NamesFollowTheScheme) {
  const std::string text = R"(groups:
  - name: g
    rules:
      - record: http.requests:rate5m
        expr: up
        labels: {"0severity": x, __name__: y}
)";
  auto legacy = ParseRuleFile(text, {.names = model::Labels::NameScheme::kLegacy});
  ASSERT_EQ(legacy.errors.size(), 3u);
  EXPECT_EQ(legacy.errors[0], "4:17: group \"g\", rule 1, \"http.requests:rate5m\": invalid recording rule name: "
                              "http.requests:rate5m");
  // Prometheus 3 (UTF-8 names): only __name__ stays reserved.
  auto utf8 = ParseRuleFile(text);
  ASSERT_EQ(utf8.errors.size(), 1u);
  EXPECT_EQ(utf8.errors[0], "group \"g\", rule 1, \"http.requests:rate5m\": invalid label name: __name__");
}

// MyTSDB's extension: `sql:` instead of `expr:`, checked by the given
// function, refused where only Prometheus's format is allowed.
TEST(RuleFileTest, SqlRulesAreCheckedAndRefusedWhenStrict) {
  const std::string text = R"(groups:
  - name: g
    rules:
      - alert: FewRequests
        sql: SELECT customer, n AS value FROM t
        for: 5m
      - record: customer:requests:count
        sql: SELECT customer, count(*) AS value FROM t GROUP BY 1
)";
  std::vector<std::string> checked;
  auto check = [&checked](std::string_view sql) {
    checked.emplace_back(sql);
    return sql.find("bad") == std::string_view::npos ? Status::OK() : Status::InvalidArgument("SQL: syntax error");
  };
  auto parsed = ParseRuleFile(text, {.check_sql = check});
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0];
  ASSERT_EQ(parsed.file.groups[0].rules.size(), 2u);
  EXPECT_EQ(parsed.file.groups[0].rules[0].sql, "SELECT customer, n AS value FROM t");
  EXPECT_TRUE(parsed.file.groups[0].rules[0].expr.empty());
  EXPECT_EQ(parsed.file.groups[0].rules[1].kind, Rule::Kind::kRecording);
  EXPECT_EQ(checked.size(), 2u);

  auto strict = ParseRuleFile(text, {.allow_sql = false, .check_sql = check});
  ASSERT_EQ(strict.errors.size(), 2u);
  EXPECT_EQ(strict.errors[0], "5:14: group \"g\", rule 1, \"FewRequests\": field 'sql' is a MyTSDB extension, "
                              "not allowed in Prometheus's rule files (--strict-prometheus)");
  // Without a checker (no SQL here), SQL rules are errors too.
  EXPECT_EQ(ParseRuleFile(text).errors.size(), 2u);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"expr: up\n        sql: SELECT 1 AS value", "only one of 'expr' and 'sql' must be set"},
      {"sql: ''", "field 'sql' must not be empty"},
      {"sql: SELECT bad", "could not parse SQL: SQL: syntax error"},
  };
  for (const auto& [fields, want] : bad) {
    auto r = ParseRuleFile("groups:\n  - name: g\n    rules:\n      - alert: A\n        " + fields + "\n",
                           {.check_sql = check});
    ASSERT_EQ(r.errors.size(), 1u) << fields;
    EXPECT_NE(r.errors[0].find(want), std::string::npos) << r.errors[0];
  }
}

}  // namespace
}  // namespace mytsdb::rules
