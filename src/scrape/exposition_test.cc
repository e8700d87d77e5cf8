// Prometheus's text format as Prometheus's parser reads it: the rules of
// docs/design/scrape.md as a table of bodies, valid ones with what they
// hold and invalid ones with the error named.
#include "scrape/exposition.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "model/sample.h"
#include "scrape/exposition_test_util.h"

namespace mytsdb::scrape {
namespace {

std::vector<std::string> Samples(std::string_view body) { return SamplesOf(body, Format::kPrometheusText); }

TEST(ExpositionTest, ReadsTheDocumentationsExample) {
  const std::string body =
      "# HELP http_requests_total The total number of HTTP requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
      "\n"
      "# Escaping in label values:\n"
      "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} "
      "1.458255915e9\n"
      "\n"
      "# Minimalistic line:\n"
      "metric_without_timestamp_and_labels 12.47\n"
      "something_weird{problem=\"division by zero\"} +Inf\n";
  auto parsed = ParsePrometheusText(body);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(Samples(body), (std::vector<std::string>{
                               "__name__=http_requests_total,method=post,code=200 1027 @1395066363000",
                               "__name__=http_requests_total,method=post,code=400 3 @1395066363000",
                               "__name__=msdos_file_access_time_seconds,path=C:\\DIR\\FILE.TXT,error=Cannot find "
                               "file:\n\"FILE.TXT\" 1458255915",
                               "__name__=metric_without_timestamp_and_labels 12.470000000000001",
                               "__name__=something_weird,problem=division by zero inf",
                           }));
  ASSERT_EQ(parsed->metadata.size(), 1u);
  EXPECT_EQ(parsed->metadata[0].name, "http_requests_total");
  EXPECT_EQ(parsed->metadata[0].type, "counter");
  EXPECT_EQ(parsed->metadata[0].help, "The total number of HTTP requests.");
}

TEST(ExpositionTest, FollowsPrometheussLexer) {
  // Blanks and tabs anywhere between tokens, a trailing comma, no comma at
  // all, a label list with a blank before it, no final newline.
  EXPECT_EQ(Samples("  a {b=\"1\", c = \"2\",} \t 3 \t 4 \n"),
            std::vector<std::string>{"__name__=a,b=1,c=2 3 @4"});
  EXPECT_EQ(Samples("a{b=\"1\" c=\"2\"} 3"), std::vector<std::string>{"__name__=a,b=1,c=2 3"});
  EXPECT_EQ(Samples("a{} 1\n"), std::vector<std::string>{"__name__=a 1"});
  // The value is whatever follows the name up to a blank: "a-1 2" is a at
  // -1, time 2, as in Prometheus.
  EXPECT_EQ(Samples("a-1 2\n"), std::vector<std::string>{"__name__=a -1 @2"});
  // Prometheus 3's quoted names, metric and label.
  EXPECT_EQ(Samples("{\"my.metric\",\"my.label\"=\"x\"} 1\n"),
            std::vector<std::string>{"__name__=my.metric,my.label=x 1"});
  // Label values keep unknown escapes and NULs, and may span lines.
  EXPECT_EQ(Samples("a{b=\"x\\ty\"} 1\n"), std::vector<std::string>{"__name__=a,b=x\\ty 1"});
  EXPECT_EQ(Samples("a{b=\"one\ntwo\"} 1\nc 2\n"),
            (std::vector<std::string>{"__name__=a,b=one\ntwo 1", "__name__=c 2"}));
  EXPECT_EQ(Samples(std::string("a{b=\"\0ss\"} 1\n", 13)).size(), 1u);
  // Comments of every kind are skipped, and a NUL where a line starts ends
  // the body, as Prometheus's lexer does.
  EXPECT_EQ(Samples("#comment\n# another one\n#\n# HELP\n# TYPEx\na 1\n"), std::vector<std::string>{"__name__=a 1"});
  EXPECT_EQ(Samples(std::string("a 1\n\0garbage", 13)), std::vector<std::string>{"__name__=a 1"});
}

TEST(ExpositionTest, ReadsValuesAsGosParseFloat) {
  for (const auto& [text, want] : std::vector<std::pair<std::string, double>>{
           {"1", 1},        {"-2.5", -2.5},  {".5", 0.5},     {"5.", 5},       {"1e3", 1000},
           {"1E-3", 0.001}, {"+Inf", INFINITY}, {"-inf", -INFINITY}, {"Infinity", INFINITY},
           {"-0", -0.0},    {"1e-400", 0},   {"+.5e+1", 5}}) {
    auto v = ParseValue(text);
    ASSERT_TRUE(v.has_value()) << text;
    EXPECT_EQ(*v, want) << text;
  }
  EXPECT_TRUE(std::isnan(*ParseValue("NaN")));
  EXPECT_TRUE(std::isnan(*ParseValue("nan")));
  for (const char* bad : {"", "true", "1_000", "0x1p-3", "0x10", "+NaN", "-nan", "infin", ".", "1e", "e5", "1e400",
                          "1.2.3", "1 ", "--1"}) {
    EXPECT_FALSE(ParseValue(bad).has_value()) << bad;
  }
  // A scraped NaN is Prometheus's NormalNaN, never the staleness marker.
  auto parsed = ParsePrometheusText("a NaN\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(std::bit_cast<uint64_t>(parsed->samples[0].value), model::kNormalNaNBits);
}

TEST(ExpositionTest, WritesBucketsAndQuantilesInOneForm) {
  for (const auto& [f, want] : std::vector<std::pair<double, std::string>>{
           {1, "1.0"},       {0, "0.0"},         {-1, "-1.0"},     {0.5, "0.5"},         {2, "2.0"},
           {100000, "100000.0"}, {1e6, "1e+06"},  {2.5e6, "2.5e+06"}, {1234567, "1.234567e+06"}, {0.0001, "0.0001"},
           {0.00001, "1e-05"}, {0.25, "0.25"},    {INFINITY, "+Inf"}, {-INFINITY, "-Inf"},   {1e21, "1e+21"},
           {123.456, "123.456"}}) {
    EXPECT_EQ(FormatOpenMetricsFloat(f), want) << f;
  }
  // Only a histogram's le and a summary's quantile, after their TYPE.
  EXPECT_EQ(Samples("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\nh_bucket{x=\"1\"} 4\n"
                    "# TYPE s summary\ns{quantile=\"0.50\"} 1\n# TYPE g gauge\ng{le=\"1\"} 1\n"),
            (std::vector<std::string>{"__name__=h_bucket,le=1.0 2", "__name__=h_bucket,le=+Inf 3",
                                      "__name__=h_bucket,x=1 4", "__name__=s,quantile=0.5 1",
                                      "__name__=g,le=1 1"}));
}

TEST(ExpositionTest, KeepsTypeAndHelp) {
  auto parsed = ParsePrometheusText(
      "# TYPE a untyped\n# HELP a first \\\\ line\\nsecond \\\" kept\n# HELP b   \n# HELP  c  two blanks\n"
      "# TYPE \"d.e\" gauge\na 1\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->metadata.size(), 4u);
  EXPECT_EQ(parsed->metadata[0].type, "unknown");
  EXPECT_EQ(parsed->metadata[0].help, "first \\ line\nsecond \\\" kept");
  EXPECT_EQ(parsed->metadata[1].help, "");
  EXPECT_EQ(parsed->metadata[2].help, " two blanks");
  EXPECT_EQ(parsed->metadata[3].name, "d.e");
  EXPECT_EQ(parsed->metadata[3].type, "gauge");
}

TEST(ExpositionTest, RefusesWhatPrometheusRefusesNamingTheLine) {
  for (const auto& [body, error] : std::vector<std::pair<std::string, std::string>>{
           {"a", "line 1: expected value after metric"},
           {"a{b='c'} 1\n", "expected label value"},
           {"a{b=\n", "expected label value"},
           {"a{\xff=\"foo\"} 1\n", "expected label name"},
           {"a{b=\"\xff\"} 1\n", "invalid UTF-8 label value"},
           {"{\"a\", \"b = \"c\"}", "expected equal"},
           {"a true\n", "invalid value \"true\""},
           {"something_weird{problem=\"", "unterminated quoted string"},
           {"empty_label_name{=\"\"} 0", "expected label name"},
           {"{A}0", "expected equal"},
           {"foo 1_2\n", "invalid value"},
           {"foo 0x1p-3\n", "invalid value"},
           {"ok 1\nfoo 0 1_2\n", "line 2: expected next entry after timestamp"},
           {"{a=\"ok\"} 1", "metric name not set"},
           {"{\"a\",\"b\"} 1", "metric name already set"},
           {"# TYPE #\n", "expected metric name after TYPE"},
           {"# HELP #\n", "expected metric name after HELP"},
           {"# TYPE a counter \n", "invalid metric type \"counter \""},
           {"# TYPE a info\n", "invalid metric type \"info\""},
           {"# HELP a \xff\n", "help text is not valid UTF-8"},
           {"a 1 -5\n", "expected timestamp or new record"},
           {"a 1 99999999999999999999\n", "invalid timestamp"},
           {"a{b=\"c\"}{d=\"e\"} 1\n", "expected value after metric"},
           {"a 1 2 3\n", "expected next entry after timestamp"},
           {"=1\n", "expected a metric name"},
       }) {
    auto parsed = ParsePrometheusText(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_NE(parsed.status().message().find(error), std::string::npos) << body << " -> " << parsed.status().ToString();
  }
}

}  // namespace
}  // namespace mytsdb::scrape
