// Prometheus's template functions against Prometheus itself: the
// expected texts are what `promtool test rules` (Debian's Prometheus 2.42)
// expanded for the same templates, labels and values (alert N of a rule
// file with these three annotations, one alert per series; its `query`
// saw the same ten series).
#include "template/prometheus_functions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace mytsdb::tmpl {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::nan("");

const char* const kAnnotations[] = {
    R"tmpl({{ humanize $value }}|{{ humanize1024 $value }}|{{ humanizeDuration $value }}|{{ humanizePercentage $value }}|{{ humanizeTimestamp $value }}|{{ $value }}|{{ printf "%.2f" $value }})tmpl",
    R"tmpl({{ $labels.host | stripPort }}|{{ $labels.host | stripDomain }}|{{ title $labels.text }}|{{ toUpper $labels.text }}|{{ toLower $labels.text }}|{{ reReplaceAll "(\\w+)-(\\d+)" "${2}_$1" $labels.text }}|{{ reReplaceAll "o" "0" $labels.text }}|{{ reReplaceAll "x*" "-" $labels.text }}|{{ match "^[a-z]" $labels.text }}|{{ graphLink "rate(m[5m]) > 1" }}|{{ tableLink $labels.text }})tmpl",
    R"tmpl({{ humanize $labels.num }}|{{ humanizeDuration $labels.num }}|{{ parseDuration "1h30m" }}|{{ parseDuration "90s" }}|{{ (args 1 "a").arg1 }}|{{ with query "m" }}{{ len . }}{{ end }}|{{ range sortByLabel "host" (query "m") }}{{ .Labels.host }},{{ end }}|{{ with query "m{host=\"none\"}" }}x{{ else }}empty{{ end }}|{{ query "m" | sortByLabel "host" | first | label "host" }}|{{ $labels.missing }}|{{ $externalLabels.missing }})tmpl",
};

struct Row {
  const char* host;
  const char* text;
  const char* num;
  double value;
  const char* want[3];
};

const Row kRows[] = {
    {"10.0.0.1:80", "über ab-1 cd-2", "1e3", 0.000123,
     {"123u|0.000123|123us|0.0123%|1970-01-01 00:00:00 +0000 UTC|0.000123|0.00",
      "10.0.0.1|10.0.0.1:80|Über Ab-1 Cd-2|ÜBER AB-1 CD-2|über ab-1 cd-2|über 1_ab 2_cd|über ab-1 cd-2|-ü-b-e-r- -a-b---1- -c-d---2-|false|/graph?g0.expr=rate%28m%5B5m%5D%29+%3E+1&g0.tab=0|/graph?g0.expr=%C3%BCber+ab-1+cd-2&g0.tab=1",
      "1k|16m 40s|5400|90|a|10|10.0.0.1:80,[::1]:9090,a.b,c,d,e,f,g,h1.example.com:9100,plainhost,|empty|10.0.0.1:80||"}},
    {"[::1]:9090", "x", "0.5", 0,
     {"0|0|0s|0%|1970-01-01 00:00:00 +0000 UTC|0|0.00",
      "::1|[::1]:9090|X|X|x|x|x|-|true|/graph?g0.expr=rate%28m%5B5m%5D%29+%3E+1&g0.tab=0|/graph?g0.expr=x&g0.tab=1",
      "500m|500ms|5400|90|a|10|10.0.0.1:80,[::1]:9090,a.b,c,d,e,f,g,h1.example.com:9100,plainhost,|empty|10.0.0.1:80||"}},
    {"a.b", "it's ok", "NaN", 1e-9,
     {"1n|1e-09|1ns|1e-07%|1970-01-01 00:00:00 +0000 UTC|1e-09|0.00",
      "a.b|a|It'S Ok|IT'S OK|it's ok|it's ok|it's 0k|-i-t-'-s- -o-k-|true|/graph?g0.expr=rate%28m%5B5m%5D%29+%3E+1&g0.tab=0|/graph?g0.expr=it%27s+ok&g0.tab=1",
      "NaN|NaN|5400|90|a|10|10.0.0.1:80,[::1]:9090,a.b,c,d,e,f,g,h1.example.com:9100,plainhost,|empty|10.0.0.1:80||"}},
    {"c", "1y", "Inf", kInf,
     {"+Inf|+Inf|+Inf|+Inf%|+Inf|+Inf|+Inf",
      "c|c|1y|1Y|1y|1y|1y|-1-y-|false|/graph?g0.expr=rate%28m%5B5m%5D%29+%3E+1&g0.tab=0|/graph?g0.expr=1y&g0.tab=1",
      "+Inf|+Inf|5400|90|a|10|10.0.0.1:80,[::1]:9090,a.b,c,d,e,f,g,h1.example.com:9100,plainhost,|empty|10.0.0.1:80||"}},
    {"d", "1e21", "abc", kNaN,
     {"NaN|NaN|NaN|NaN%|NaN|NaN|NaN",
      "d|d|1e21|1E21|1e21|1e21|1e21|-1-e-2-1-|false|/graph?g0.expr=rate%28m%5B5m%5D%29+%3E+1&g0.tab=0|/graph?g0.expr=1e21&g0.tab=1",
      "<error expanding template: error executing template __alert_N: template: __alert_N:1:115: executing \"__alert_N\" at <humanize $labels.num>: error calling humanize: strconv.ParseFloat: parsing \"abc\": invalid syntax>"}},
    {"e", "", "1024", 1700000000.5,
     {"1.7G|1.583Gi|19675d 22h 13m 20s|1.7e+11%|2023-11-14 22:13:20.5 +0000 UTC|1.7000000005e+09|1700000000.50",
      "e|e||||||-|false|/graph?g0.expr=rate%28m%5B5m%5D%29+%3E+1&g0.tab=0|/graph?g0.expr=&g0.tab=1",
      "1.024k|17m 4s|5400|90|a|10|10.0.0.1:80,[::1]:9090,a.b,c,d,e,f,g,h1.example.com:9100,plainhost,|empty|10.0.0.1:80||"}},
    {"f", "", "1048576", 1048576,
     {"1.049M|1Mi|12d 3h 16m 16s|1.049e+08%|1970-01-13 03:16:16 +0000 UTC|1.048576e+06|1048576.00",
      "f|f||||||-|false|/graph?g0.expr=rate%28m%5B5m%5D%29+%3E+1&g0.tab=0|/graph?g0.expr=&g0.tab=1",
      "1.049M|12d 3h 16m 16s|5400|90|a|10|10.0.0.1:80,[::1]:9090,a.b,c,d,e,f,g,h1.example.com:9100,plainhost,|empty|10.0.0.1:80||"}},
    {"g", "", "59.99", 0.999,
     {"999m|0.999|999ms|99.9%|1970-01-01 00:00:00.999 +0000 UTC|0.999|1.00",
      "g|g||||||-|false|/graph?g0.expr=rate%28m%5B5m%5D%29+%3E+1&g0.tab=0|/graph?g0.expr=&g0.tab=1",
      "59.99|59.99s|5400|90|a|10|10.0.0.1:80,[::1]:9090,a.b,c,d,e,f,g,h1.example.com:9100,plainhost,|empty|10.0.0.1:80||"}},
    {"h1.example.com:9100", "hello wOrld-42 foo_bar", "3600", 1234567.891,
     {"1.235M|1.177Mi|14d 6h 56m 7s|1.235e+08%|1970-01-15 06:56:07.891 +0000 UTC|1.234567891e+06|1234567.89",
      "h1.example.com|h1:9100|Hello WOrld-42 Foo_bar|HELLO WORLD-42 FOO_BAR|hello world-42 foo_bar|hello 42_wOrld foo_bar|hell0 wOrld-42 f00_bar|-h-e-l-l-o- -w-O-r-l-d---4-2- -f-o-o-_-b-a-r-|true|/graph?g0.expr=rate%28m%5B5m%5D%29+%3E+1&g0.tab=0|/graph?g0.expr=hello+wOrld-42+foo_bar&g0.tab=1",
      "3.6k|1h 0m 0s|5400|90|a|10|10.0.0.1:80,[::1]:9090,a.b,c,d,e,f,g,h1.example.com:9100,plainhost,|empty|10.0.0.1:80||"}},
    {"plainhost", "", "-90061.5", -5.5,
     {"-5.5|-5.5|-5.5s|-550%|1969-12-31 23:59:54.5 +0000 UTC|-5.5|-5.50",
      "plainhost|plainhost||||||-|false|/graph?g0.expr=rate%28m%5B5m%5D%29+%3E+1&g0.tab=0|/graph?g0.expr=&g0.tab=1",
      "-90.06k|-1d 1h 1m 1s|5400|90|a|10|10.0.0.1:80,[::1]:9090,a.b,c,d,e,f,g,h1.example.com:9100,plainhost,|empty|10.0.0.1:80||"}},
};

LabelMap LabelsOf(const Row& row) {
  LabelMap labels{{"__name__", "m"}, {"host", row.host}, {"num", row.num}};
  if (*row.text) labels["text"] = row.text;
  return labels;
}

TEST(PrometheusFunctionsTest, ExpandLikePrometheus) {
  PrometheusContext context;
  context.query = [](std::string_view q) -> Result<std::vector<QuerySample>> {
    std::vector<QuerySample> out;
    if (q != "m") return out;  // m{host="none"}: no series
    for (const Row& row : kRows) out.push_back({LabelsOf(row), row.value});
    return out;
  };
  auto funcs = PrometheusFunctions(context);
  ExecOptions options;
  options.missing_key = MissingKey::kZero;
  int expanded = 0;
  for (const Row& row : kRows) {
    LabelMap labels = LabelsOf(row);
    labels.erase("__name__");
    const Value data = AlertTemplateData(labels, {}, "", row.value);
    for (int i = 0; i < 3; ++i) {
      SCOPED_TRACE(std::string(row.host) + " annotation " + "abc"[i]);
      ++expanded;
      auto t = Template::Parse("__alert_N", std::string(kAlertTemplatePreamble) + kAnnotations[i], funcs);
      ASSERT_TRUE(t.ok()) << t.status().ToString();
      auto out = t->Execute(data, options);
      const std::string want = row.want[i];
      if (want.starts_with("<error expanding template")) {
        ASSERT_FALSE(out.ok());
        const std::string tail = "error calling humanize: strconv.ParseFloat: parsing \"abc\": invalid syntax";
        EXPECT_NE(out.status().message().find(tail), std::string::npos) << out.status().message();
        continue;
      }
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      EXPECT_EQ(*out, want);
    }
  }
  EXPECT_EQ(expanded, 30);
}

TEST(PrometheusFunctionsTest, UrlsTimesAndAMissingQueryFunction) {
  PrometheusContext context;
  context.external_url = "https://example.com:8443/prometheus/sub?x=1";
  auto t = Template::Parse("t", "{{ query \"up\" }}", PrometheusFunctions(context));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto out = t->Execute(Value());
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("queries are not available here"), std::string::npos);
  t = Template::Parse("t", "{{ externalURL }} {{ pathPrefix }} {{ 1700000000.25 | toTime }}", PrometheusFunctions(context));
  ASSERT_TRUE(t.ok());
  out = t->Execute(Value());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "https://example.com:8443/prometheus/sub?x=1 /prometheus/sub 2023-11-14 22:13:20.249 +0000 UTC");
  // (.249: the seconds times 1e9 as a float64, truncated to milliseconds, as Prometheus does)
  EXPECT_EQ(GoTimeString(-1), "1969-12-31 23:59:59.999 +0000 UTC");
  EXPECT_EQ(GoTimeString(0), "1970-01-01 00:00:00 +0000 UTC");
}

TEST(PrometheusFunctionsTest, CaseMappingBeyondAscii) {
  // Go's strings.ToUpper, ToLower and Title of the same text (Go 1.26).
  auto funcs = PrometheusFunctions({});
  const std::string text = "ÿ àé ĳ ő ł ŀ ž αβγ ς ω привет ёж ΑΒΓ ПРИВЕТ ЁЖ ÀÉ Ÿ ĲŐŁĿŽ";
  const Value data = Value::String(text);
  auto upper = Template::Parse("t", "{{ toUpper . }}", funcs);
  auto lower = Template::Parse("t", "{{ toLower . }}", funcs);
  auto title = Template::Parse("t", "{{ title \"émile zola-x ñu δέλτα\" }}", funcs);
  ASSERT_TRUE(upper.ok() && lower.ok() && title.ok());
  EXPECT_EQ(*upper->Execute(data), "Ÿ ÀÉ Ĳ Ő Ł Ŀ Ž ΑΒΓ Σ Ω ПРИВЕТ ЁЖ ΑΒΓ ПРИВЕТ ЁЖ ÀÉ Ÿ ĲŐŁĿŽ");
  EXPECT_EQ(*lower->Execute(data), "ÿ àé ĳ ő ł ŀ ž αβγ ς ω привет ёж αβγ привет ёж àé ÿ ĳőłŀž");
  EXPECT_EQ(*title->Execute(Value()), "Émile Zola-X Ñu Δέλτα");
}

}  // namespace
}  // namespace mytsdb::tmpl
