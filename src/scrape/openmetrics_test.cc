// OpenMetrics 1.0 as Prometheus's parser reads it, and the choice of a
// parser from a reply's Content-Type: tables of bodies, many of them from
// Prometheus's own tests (openmetricsparse_test.go), with the error named.
#include <gtest/gtest.h>

#include <bit>

#include "model/sample.h"
#include "scrape/exposition.h"
#include "scrape/exposition_test_util.h"

namespace mytsdb::scrape {
namespace {

std::vector<std::string> Samples(std::string_view body) { return SamplesOf(body, Format::kOpenMetrics); }

TEST(OpenMetricsTest, ReadsSamplesMetadataAndExemplars) {
  const std::string body =
      "# HELP go_gc_duration_seconds A summary of the GC invocation durations.\n"
      "# TYPE go_gc_duration_seconds summary\n"
      "go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\n"
      "go_gc_duration_seconds{quantile=\"0.25\"} 7.424100000000001e-05\n"
      "go_gc_duration_seconds_count 99\n"
      "# HELP nohelp1 \n"
      "# HELP help2 escape \\ \\n \\\\ \\\" \\x chars\n"
      "# UNIT nounit \n"
      "# TYPE hh histogram\n"
      "hh_bucket{le=\"+Inf\"} 1\n"
      "# TYPE gh gaugehistogram\n"
      "gh_bucket{le=\"1\"} 1\n"
      "# TYPE ii info\n"
      "ii{foo=\"bar\"} 1\n"
      "# TYPE ss stateset\n"
      "ss{ss=\"foo\"} 1\n"
      "# TYPE un unknown\n"
      "_metric_starting_with_underscore 1\n"
      "testmetric{_label_starting_with_underscore=\"foo\"} 1\n"
      "testmetric{label=\"\\\"bar\\\"\"} 1\n"
      "# HELP foo Counter with and without labels to certify ST is parsed for both cases\n"
      "# TYPE foo counter\n"
      "foo_total 17.0 1520879607.789 # {id=\"counter-test\"} 5\n"
      "foo_created 1520872607.123\n"
      "foo_total{a=\"b\"} 17.0 1520879607.789 # {id=\"counter-test\"} 5\n"
      "# TYPE bar summary\n"
      "bar_count 17.0\n"
      "bar_created 1520430000.123\n"
      "metric 1 # {id=\"x\"} 2 1520879607.7\n"
      "# UNIT process_cpu_seconds seconds\n"
      "# EOF\n";
  auto parsed = ParseOpenMetrics(body);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(Samples(body),
            (std::vector<std::string>{
                "__name__=go_gc_duration_seconds,quantile=0.0 4.9351000000000002e-05",
                "__name__=go_gc_duration_seconds,quantile=0.25 7.424100000000001e-05",
                "__name__=go_gc_duration_seconds_count 99",
                "__name__=hh_bucket,le=+Inf 1",
                // le is written in one form for histograms only, as Prometheus.
                "__name__=gh_bucket,le=1 1",
                "__name__=ii,foo=bar 1",
                "__name__=ss,ss=foo 1",
                "__name__=_metric_starting_with_underscore 1",
                "__name__=testmetric,_label_starting_with_underscore=foo 1",
                "__name__=testmetric,label=\"bar\" 1",
                // Seconds become milliseconds by truncation; exemplars are dropped;
                // _created lines stay series.
                "__name__=foo_total 17 @1520879607789",
                "__name__=foo_created 1520872607.1229999",
                "__name__=foo_total,a=b 17 @1520879607789",
                "__name__=bar_count 17",
                "__name__=bar_created 1520430000.1229999",
                "__name__=metric 1",
            }));
  std::map<std::string, FamilyMetadata> meta;
  for (const auto& m : parsed->metadata) meta[m.name] = m;
  EXPECT_EQ(meta["go_gc_duration_seconds"].type, "summary");
  EXPECT_EQ(meta["go_gc_duration_seconds"].help, "A summary of the GC invocation durations.");
  EXPECT_EQ(meta["nohelp1"].help, "");
  EXPECT_EQ(meta["help2"].help, "escape \\ \n \\ \" \\x chars");
  EXPECT_EQ(meta["gh"].type, "gaugehistogram");
  EXPECT_EQ(meta["ss"].type, "stateset");
  EXPECT_EQ(meta["un"].type, "unknown");
  EXPECT_EQ(meta["process_cpu_seconds"].unit, "seconds");
  EXPECT_EQ(meta["nounit"].unit, "");
}

TEST(OpenMetricsTest, FollowsPrometheussLexer) {
  // Quoted UTF-8 names; a trailing comma; NULs in label values; a body
  // that ends right after # EOF; a NaN is the canonical one.
  EXPECT_EQ(Samples("{\"my.metric\",\"my.label\"=\"x\",} 1\n# EOF"),
            std::vector<std::string>{"__name__=my.metric,my.label=x 1"});
  EXPECT_EQ(Samples(std::string("a{b=\"\0ss\"} 1\n# EOF\n", 19)).size(), 1u);
  EXPECT_EQ(Samples("# TYPE \"a.b\" gauge\n# HELP \"a.b\" x\n{\"a.b\"} 1\n# EOF\n"),
            std::vector<std::string>{"__name__=a.b 1"});
  EXPECT_EQ(Samples("a 1 -1.5\n# EOF\n"), std::vector<std::string>{"__name__=a 1 @-1500"});
  auto parsed = ParseOpenMetrics("a NaN\n# EOF\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(std::bit_cast<uint64_t>(parsed->samples[0].value), model::kNormalNaNBits);
  EXPECT_TRUE(ParseOpenMetrics("# EOF").ok());
  EXPECT_TRUE(ParseOpenMetrics("# EOF\n").ok());
}

TEST(OpenMetricsTest, RefusesWhatPrometheusRefusesNamingTheLine) {
  for (const auto& [body, error] : std::vector<std::pair<std::string, std::string>>{
           {"", "data does not end with # EOF"},
           {"\n", "blank lines are not allowed"},
           {"metric", "expected value after metric"},
           {"metric 1", "data does not end with # EOF"},
           {"metric 1\n", "data does not end with # EOF"},
           {"metric_total 1 # {aa=\"bb\"} 4", "data does not end with # EOF"},
           {"a\n#EOF\n", "expected value after metric"},
           {"a 1\n\n# EOF\n", "line 2: blank lines are not allowed"},
           {" a 1\n#EOF\n", "expected a metric name"},
           {"9\n#EOF\n", "expected a metric name"},
           {"# TYPE u untyped\n#EOF\n", "invalid metric type \"untyped\""},
           {"# TYPE c counter \n#EOF\n", "invalid metric type \"counter \""},
           {"#  TYPE c counter\n#EOF\n", "expected HELP, TYPE, UNIT or EOF"},
           {"# TYPE \n#EOF\n", "expected metric name after TYPE"},
           {"# TYPE m\n#EOF\n", "expected text in TYPE"},
           {"# UNIT metric suffix\n#EOF\n", "unit \"suffix\" not a suffix of metric \"metric\""},
           {"# UNIT metricsuffix suffix\n#EOF\n", "unit \"suffix\" not a suffix of metric \"metricsuffix\""},
           {"# UNIT m suffix\n#EOF\n", "unit \"suffix\" not a suffix of metric \"m\""},
           {"# UNIT \n#EOF\n", "expected metric name after UNIT"},
           {"# UNIT m\n#EOF\n", "expected text in UNIT"},
           {"# HELP \n#EOF\n", "expected metric name after HELP"},
           {"# HELP m\n#EOF\n", "expected text in HELP"},
           {"# HELP m \xff\n# EOF\n", "help text is not valid UTF-8"},
           {"a\t1\n#EOF\n", "expected value after metric"},
           {"a 1\t2\n#EOF\n", "invalid value \"1\t2\""},
           {"a 1 2 \n#EOF\n", "expected next entry after timestamp"},
           {"a 1 2 #\n#EOF\n", "expected next entry after timestamp"},
           {"a 1 1z\n#EOF\n", "invalid timestamp \"1z\""},
           {" # EOF\n", "expected a metric name"},
           {"# EOF\na 1", "unexpected data after # EOF"},
           {"# EOF\n\n", "unexpected data after # EOF"},
           {"# EOFa 1", "unexpected data after # EOF"},
           {"#\tTYPE c counter\n", "expected a space after '#'"},
           {"# TYPE c  counter\n", "invalid metric type \" counter\""},
           {"a 1 1 1\n# EOF\n", "expected next entry after timestamp"},
           {"a{b='c'} 1\n# EOF\n", "expected label value"},
           {"a{,b=\"c\"} 1\n# EOF\n", "expected label name"},
           {"a{b=\"c\"d=\"e\"} 1\n# EOF\n", "expected comma or brace close"},
           {"a{b=\"c\",,d=\"e\"} 1\n# EOF\n", "expected label name"},
           {"a{b=\n# EOF\n", "expected label value"},
           {"a{\xff=\"foo\"} 1\n# EOF\n", "expected label name"},
           {"a{b=\"\xff\"} 1\n# EOF\n", "invalid UTF-8 label value"},
           {"{\"a\",\"b = \"c\"}", "expected equal"},
           {"{\"a\",b\\nc=\"d\"} 1", "expected equal"},
           {"a true\n", "invalid value \"true\""},
           {"something_weird{problem=\"\n# EOF\n", "unterminated quoted string"},
           {"empty_label_name{=\"\"} 0\n# EOF\n", "expected label name"},
           {"{A}0\n# EOF\n", "expected equal"},
           {"foo 1_2\n\n# EOF\n", "invalid value"},
           {"foo 0x1p-3\n\n# EOF\n", "invalid value"},
           {"foo 0x1P-3\n\n# EOF\n", "invalid value"},
           {"foo 0 1_2\n\n# EOF\n", "invalid timestamp"},
           {"a{b=\"c\"} 1 # {aa=bb}\n# EOF\n", "expected label value"},
           {"custom_metric_total 1 # {aa=\"bb\"}\n# EOF\n", "expected value after exemplar labels"},
           {"custom_metric_total 1 # {aa=\"bb\"}", "expected value after exemplar labels"},
           {"custom_metric_total 1 # {bb}", "expected equal"},
           {"custom_metric_total 1 # {bb, a=\"dd\"}", "expected equal"},
           {"custom_metric_total 1 # {aa=\"bb\",,cc=\"dd\"} 1", "expected label name"},
           {"custom_metric_total 1 # {aa=\"bb\"} 1_2", "invalid value"},
           {"custom_metric_total 1 # {aa=\"bb\"} 0x1p-3", "invalid value"},
           {"custom_metric_total 1 # {aa=\"bb\"} true", "invalid value"},
           {"custom_metric_total 1 # {aa=\"bb\",cc=}", "expected label value"},
           {"custom_metric_total 1 # {aa=\\\"\xff\"} 9.0", "expected label value"},
           {"custom_metric_total 1 # {\"aa\"} 9.0\n# EOF\n", "expected label name"},
           {"{b=\"c\",} 1", "metric name not set"},
           {"a 1 NaN", "invalid timestamp NaN"},
           {"a 1 -Inf", "invalid timestamp -Inf"},
           {"a 1 Inf", "invalid timestamp Inf"},
           {"# TYPE hhh histogram\nhhh_bucket{le=\"+Inf\"} 1 # {aa=\"bb\"} 4 NaN", "invalid exemplar timestamp NaN"},
           {"# TYPE hhh histogram\nhhh_bucket{le=\"+Inf\"} 1 # {aa=\"bb\"} 4 -Inf", "invalid exemplar timestamp -Inf"},
           // Prometheus's NUL cases.
           {std::string("a{b=\0\"ssss\"} 1\n# EOF\n", 21), "expected label value"},
           {std::string("a{b=\"\0", 6), "unterminated quoted string"},
           {std::string("a{b\0=\"hiih\"}\t1", 14), "expected equal"},
           {std::string("a\0{b=\"ddd\"} 1", 13), "expected value after metric"},
           {"#", "expected a space after '#'"},
           {"# H", "expected HELP, TYPE, UNIT or EOF"},
           {std::string("custom_metric_total 1 # {b=\0\"ssss\"} 1\n", 39), "expected label value"},
           {std::string("custom_metric_total 1 # {b=\"\0ss\"} 1\n", 37), "unterminated quoted string"},
       }) {
    auto parsed = ParseOpenMetrics(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_NE(parsed.status().message().find(error), std::string::npos) << body << " -> " << parsed.status().ToString();
  }
}

TEST(NegotiationTest, AsksAsPrometheus3Does) {
  EXPECT_EQ(AcceptHeader({"OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0", "PrometheusText0.0.4"}),
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
            "application/openmetrics-text;version=0.0.1;q=0.5,"
            "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
            "text/plain;version=0.0.4;q=0.3,*/*;q=0.2");
  // Protobuf is not parsed, so never asked for.
  EXPECT_EQ(AcceptHeader({"PrometheusProto", "PrometheusText0.0.4"}), "text/plain;version=0.0.4;q=0.6,*/*;q=0.5");
  EXPECT_TRUE(IsScrapeProtocol("PrometheusProto"));
  EXPECT_FALSE(IsScrapeProtocol("prometheustext0.0.4"));
}

TEST(NegotiationTest, ChoosesTheParserFromTheContentType) {
  struct Case {
    std::string content_type, fallback;
    std::optional<Format> want;
    std::string message;  // the error, or the warning
  };
  for (const auto& c : std::vector<Case>{
           {"text/plain; version=0.0.4; charset=utf-8", "", Format::kPrometheusText, ""},
           {"application/openmetrics-text; version=1.0.0; charset=utf-8", "", Format::kOpenMetrics, ""},
           {"Application/OpenMetrics-Text", "", Format::kOpenMetrics, ""},
           {"text/plain;", "", Format::kPrometheusText, ""},
           {"text/plain; charset=\"utf-8\"", "", Format::kPrometheusText, ""},
           {"", "", std::nullopt,
            "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for "
            "target"},
           {"", "PrometheusText0.0.4", Format::kPrometheusText,
            "non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol "
            "\"PrometheusText0.0.4\""},
           {"text/html", "", std::nullopt,
            "received unsupported Content-Type \"text/html\" and no fallback_scrape_protocol specified for target"},
           {"text/html", "OpenMetricsText1.0.0", Format::kOpenMetrics,
            "received unsupported Content-Type \"text/html\", using fallback_scrape_protocol \"OpenMetricsText1.0.0\""},
           {"text/", "", std::nullopt, "cannot parse Content-Type \"text/\" and no fallback_scrape_protocol for target"},
           {"text/plain; version", "", std::nullopt, "cannot parse Content-Type"},
           {"text/plain;;", "PrometheusText0.0.4", Format::kPrometheusText, "could not parse received Content-Type"},
       }) {
    auto choice = ChooseFormat(c.content_type, c.fallback);
    if (!c.want) {
      ASSERT_FALSE(choice.ok()) << c.content_type;
      EXPECT_NE(choice.status().message().find(c.message), std::string::npos) << choice.status().ToString();
      continue;
    }
    ASSERT_TRUE(choice.ok()) << c.content_type << ": " << choice.status().ToString();
    EXPECT_EQ(choice->format, *c.want) << c.content_type;
    if (c.message.empty()) {
      EXPECT_EQ(choice->warning, "") << c.content_type;
    } else {
      EXPECT_NE(choice->warning.find(c.message), std::string::npos) << choice->warning;
    }
  }
}

}  // namespace
}  // namespace mytsdb::scrape
