// Relabeling as a table of cases: every action, in YAML as users write it,
// with the results Prometheus gives (its own relabel tests' cases, and Go's
// regexp.Expand and MD5 run on the same inputs for the expansions and the
// hashes below), and its configuration errors with its messages.
#include "relabel/relabel.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace mytsdb::relabel {
namespace {

using model::Labels;

struct Case {
  const char* name;
  Labels input;
  const char* yaml;  // the relabel_configs list
  std::optional<Labels> output;  // nullopt: dropped
};

std::vector<Config> Parse(const std::string& yaml, model::Labels::NameScheme names = model::Labels::NameScheme::kUtf8) {
  auto configs = ParseConfigs(YAML::Load(yaml), names);
  EXPECT_TRUE(configs.ok()) << yaml << ": " << configs.status().ToString();
  return configs.ok() ? *configs : std::vector<Config>{};
}

TEST(RelabelTest, EveryActionAsPrometheusAppliesIt) {
  const Labels abc{{"a", "foo"}, {"b", "bar"}, {"c", "baz"}};
  const std::vector<Case> cases = {
      {"replace with groups", abc,
       "- {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch${1}-ch${1}'}",
       Labels{{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "choo-choo"}}},
      {"replace over two labels, then over the result", abc,
       "- {source_labels: [a, b], regex: 'f(.*);(.*)r', target_label: a, replacement: 'b${1}${2}m'}\n"
       "- {source_labels: [c, a], regex: '(b).*b(.*)ba(.*)', target_label: d, replacement: '$1$2$2$3'}",
       Labels{{"a", "boobam"}, {"b", "bar"}, {"c", "baz"}, {"d", "boooom"}}},
      {"drop before replace", Labels{{"a", "foo"}},
       "- {source_labels: [a], regex: '.*o.*', action: drop}\n"
       "- {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch$1-ch$1'}",
       std::nullopt},
      {"the regex is anchored", Labels{{"a", "abc"}},
       "- {source_labels: [a], regex: '.*(b).*', target_label: d}", Labels{{"a", "abc"}, {"d", "b"}}},
      {"drop without a match", Labels{{"a", "foo"}}, "- {source_labels: [a], regex: 'f|o', action: drop}",
       Labels{{"a", "foo"}}},
      {"keep without a match", Labels{{"a", "foo"}}, "- {source_labels: [a], regex: no-match, action: keep}",
       std::nullopt},
      {"keep with a match, action in capitals", Labels{{"a", "foo"}}, "- {source_labels: [a], regex: 'f.*', action: KEEP}",
       Labels{{"a", "foo"}}},
      {"no replacement without a match", Labels{{"a", "boo"}},
       "- {source_labels: [a], regex: f, target_label: b, replacement: bar}", Labels{{"a", "boo"}}},
      {"hashmod", abc, "- {source_labels: [c], target_label: d, action: hashmod, modulus: 1000}",
       Labels{{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "976"}}},
      {"hashmod of a newline", Labels{{"a", "foo\nbar"}},
       "- {source_labels: [a], target_label: b, action: hashmod, modulus: 1000}",
       Labels{{"a", "foo\nbar"}, {"b", "734"}}},
      {"hashmod of two labels", Labels{{"a", "a"}, {"b", "b"}},
       "- {source_labels: [a, b], target_label: shard, action: hashmod, modulus: 7}",
       Labels{{"a", "a"}, {"b", "b"}, {"shard", "2"}}},
      {"labelmap", Labels{{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}},
       "- {regex: '(b.*)', replacement: 'bar_${1}', action: labelmap}",
       Labels{{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}, {"bar_b1", "bar"}, {"bar_b2", "baz"}}},
      {"labelmap of __meta_ labels",
       Labels{{"__meta_my_bar", "aaa"}, {"__meta_my_baz", "bbb"}, {"__meta_other", "ccc"}, {"a", "foo"}},
       "- {regex: '__meta_(my.*)', replacement: '${1}', action: labelmap}",
       Labels{{"__meta_my_bar", "aaa"}, {"__meta_my_baz", "bbb"}, {"__meta_other", "ccc"}, {"a", "foo"},
              {"my_bar", "aaa"}, {"my_baz", "bbb"}}},
      {"the target from groups", Labels{{"a", "some-name-value"}},
       "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${2}', target_label: '${1}'}",
       Labels{{"a", "some-name-value"}, {"name", "value"}}},
      {"an empty replacement sets nothing", Labels{{"a", "some-name-value"}},
       "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${3}', target_label: '${1}'}",
       Labels{{"a", "some-name-value"}}},
      {"an empty target sets nothing", Labels{{"a", "some-name-0"}},
       "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '${3}'}\n"
       "- {source_labels: [a], regex: 'some-([^-]+)(-[^,]+)', replacement: '${1}', target_label: '${3}'}",
       Labels{{"a", "some-name-0"}}},
      {"a service discovery tag list", Labels{{"__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"}},
       "- {source_labels: [__meta_sd_tags], regex: '(?:.+,|^)path:(/[^,]+).*', replacement: '${1}', target_label: __metrics_path__}\n"
       "- {source_labels: [__meta_sd_tags], regex: '(?:.+,|^)job:([^,]+).*', replacement: '${1}', target_label: job}\n"
       "- {source_labels: [__meta_sd_tags], regex: '(?:.+,|^)label:([^=]+)=([^,]+).*', replacement: '${2}', target_label: '${1}'}",
       Labels{{"__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"}, {"__metrics_path__", "/secret"},
              {"foo", "bar"}, {"job", "some-job"}}},
      {"labeldrop, then replace, then keep",
       Labels{{"__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091"},
              {"__meta_kubernetes_pod_container_port_name", "foo"}},
       "- {regex: '^__meta_kubernetes_pod_container_port_name$', action: labeldrop}\n"
       "- {source_labels: [__meta_kubernetes_pod_annotation_XXX_metrics_port], regex: '(.+)', replacement: metrics, "
       "target_label: __meta_kubernetes_pod_container_port_name}\n"
       "- {source_labels: [__meta_kubernetes_pod_container_port_name], regex: '^metrics$', action: keep}",
       Labels{{"__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091"},
              {"__meta_kubernetes_pod_container_port_name", "metrics"}}},
      {"labelkeep", Labels{{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}}, "- {regex: '(b.*)', action: labelkeep}",
       Labels{{"b1", "bar"}, {"b2", "baz"}}},
      {"labeldrop", Labels{{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}}, "- {regex: '(b.*)', action: labeldrop}",
       Labels{{"a", "foo"}}},
      {"upper and lower case", Labels{{"foo", "bAr123Foo ÀÉÎ Σ straße"}},
       "- {source_labels: [foo], action: uppercase, target_label: foo_uppercase}\n"
       "- {source_labels: [foo], action: lowercase, target_label: foo_lowercase}",
       Labels{{"foo", "bAr123Foo ÀÉÎ Σ straße"}, {"foo_lowercase", "bar123foo àéî σ straße"},
              {"foo_uppercase", "BAR123FOO ÀÉÎ Σ STRAßE"}}},
      {"keepequal keeps", Labels{{"__port1", "1234"}, {"__port2", "5678"}, {"__tmp_port", "1234"}},
       "- {source_labels: [__tmp_port], action: keepequal, target_label: __port1}",
       Labels{{"__port1", "1234"}, {"__port2", "5678"}, {"__tmp_port", "1234"}}},
      {"dropequal drops", Labels{{"__port1", "1234"}, {"__port2", "5678"}, {"__tmp_port", "1234"}},
       "- {source_labels: [__tmp_port], action: dropequal, target_label: __port1}", std::nullopt},
      {"dropequal keeps", Labels{{"__port1", "1234"}, {"__port2", "5678"}, {"__tmp_port", "1234"}},
       "- {source_labels: [__tmp_port], action: dropequal, target_label: __port2}",
       Labels{{"__port1", "1234"}, {"__port2", "5678"}, {"__tmp_port", "1234"}}},
      {"keepequal drops", Labels{{"__port1", "1234"}, {"__port2", "5678"}, {"__tmp_port", "1234"}},
       "- {source_labels: [__tmp_port], action: keepequal, target_label: __port2}", std::nullopt},
      {"a static label (the defaults: replace, regex (.*), $1)", Labels{{"a", "x"}},
       "- {target_label: env, replacement: prod}", Labels{{"a", "x"}, {"env", "prod"}}},
      {"an absent source is the empty string", Labels{{"a", "x"}},
       "- {source_labels: [missing], regex: '', target_label: empty, replacement: yes}",
       Labels{{"a", "x"}, {"empty", "yes"}}},
      {"replacing with nothing removes the label", Labels{{"a", "x"}, {"severity", "page"}},
       "- {target_label: severity, replacement: ''}", Labels{{"a", "x"}}},
      {"a separator of its own", Labels{{"a", "x"}, {"b", "y"}},
       "- {source_labels: [a, b], separator: '/', target_label: ab}", Labels{{"a", "x"}, {"ab", "x/y"}, {"b", "y"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<Config> configs = Parse(c.yaml);
    Labels labels = c.input;
    const bool keep = Process(configs, &labels);
    EXPECT_EQ(keep, c.output.has_value());
    if (keep && c.output) EXPECT_EQ(labels, *c.output) << labels.ToString();
  }
}

// Go's regexp.Expand, as Go 1.22 printed these for ^(?:(?P<first>[a-z]+)-(\d+)(x)?)$
// matching "abc-42".
TEST(RelabelTest, ExpandAsGoExpands) {
  RE2 re("^(?:(?P<first>[a-z]+)-(\\d+)(x)?)$");
  std::vector<re2::StringPiece> groups(4);
  const std::string src = "abc-42";
  ASSERT_TRUE(re.Match(src, 0, src.size(), RE2::UNANCHORED, groups.data(), 4));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"$1", "abc"},      {"${1}", "abc"},   {"$1x", ""},          {"${1}x", "abcx"},   {"$first", "abc"},
      {"${first}_$2", "abc_42"}, {"$$1", "$1"}, {"$", "$"},       {"a$", "a$"},        {"${", "${"},
      {"${1", "${1"},     {"$3", ""},        {"$9", ""},           {"$01", ""},         {"$0", "abc-42"},
      {"$-1", "$-1"},     {"${first}${2}", "abc42"}, {"é$1é", "é"}, {"$fïrst", ""},
  };
  for (const auto& [tmpl, want] : cases) EXPECT_EQ(Expand(re, tmpl, groups), want) << tmpl;
}

TEST(RelabelTest, ConfigurationErrorsAsPrometheusWordsThem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"- {action: replace}", "relabel configuration for replace action requires 'target_label' value"},
      {"- {action: lowercase}", "relabel configuration for lowercase action requires 'target_label' value"},
      {"- {action: hashmod, target_label: x}", "relabel configuration for hashmod requires non-zero modulus"},
      {"- {action: labeldrop, regex: x, target_label: y}", "labeldrop action requires only 'regex', and no other fields"},
      {"- {action: keepequal, target_label: y, regex: x}",
       "keepequal action requires only 'source_labels' and `target_label`, and no other fields"},
      {"- {action: uppercase, target_label: y, replacement: z}", "'replacement' can not be set for uppercase action"},
      {"- {action: nope}", "unknown relabel action \"nope\""},
      {"- {regex: '(', target_label: x}", "error parsing regexp: missing ): ^(?:()$"},
      {"- {target_label: x, bogus: 1}", "field bogus not found in type relabel.plain"},
      {"- {action: labelmap, replacement: ''}", "\"\" is invalid 'replacement' for labelmap action"},
  };
  for (const auto& [yaml, want] : cases) {
    auto configs = ParseConfigs(YAML::Load(yaml));
    ASSERT_FALSE(configs.ok()) << yaml;
    EXPECT_NE(configs.status().message().find(want), std::string::npos) << yaml << ": " << configs.status().message();
  }
  // Legacy names (Prometheus 2) refuse what UTF-8 names allow.
  const std::string dotted = "- {target_label: 'http.method', replacement: x}";
  EXPECT_TRUE(ParseConfigs(YAML::Load(dotted)).ok());
  auto legacy = ParseConfigs(YAML::Load(dotted), model::Labels::NameScheme::kLegacy);
  ASSERT_FALSE(legacy.ok());
  EXPECT_EQ(legacy.status().message(), "\"http.method\" is invalid 'target_label' for replace action");
  auto lower = ParseConfigs(YAML::Load("- {action: lowercase, target_label: '${3}'}"), model::Labels::NameScheme::kLegacy);
  ASSERT_FALSE(lower.ok());
  EXPECT_EQ(lower.status().message(), "\"${3}\" is invalid 'target_label' for lowercase action");
  for (const char* target : {"-${3}", "0${3}"}) {
    auto bad = ParseConfigs(YAML::Load(std::string("- {target_label: '") + target + "'}"),
                            model::Labels::NameScheme::kLegacy);
    EXPECT_FALSE(bad.ok()) << target;
  }
  EXPECT_TRUE(ParseConfigs(YAML::Load("- {target_label: '${3}'}"), model::Labels::NameScheme::kLegacy).ok());
}

}  // namespace
}  // namespace mytsdb::relabel
