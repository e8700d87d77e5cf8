// Evaluator tests with results worked out by hand from Prometheus's
// documented semantics. The full conformance suite comes with its runner.
#include "promql/engine.h"

#include <gtest/gtest.h>

#include <cmath>

#include "promql/memory_queryable.h"
#include "promql/parser.h"

namespace mytsdb::promql {
namespace {

using model::Labels;
using model::Sample;

// Samples every `step` ms from 0: value = start + i * inc.
std::vector<Sample> Ramp(int n, int64_t step, double start, double inc) {
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) out.push_back({i * step, start + i * inc});
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two counters, one per instance, scraped every 10 s for 10 minutes.
    data_.Add(Labels{{"__name__", "http_requests"}, {"job", "api"}, {"instance", "a"}}, Ramp(61, 10'000, 0, 10));
    data_.Add(Labels{{"__name__", "http_requests"}, {"job", "api"}, {"instance", "b"}}, Ramp(61, 10'000, 0, 20));
    data_.Add(Labels{{"__name__", "http_requests"}, {"job", "web"}, {"instance", "c"}}, Ramp(61, 10'000, 5, 1));
    data_.Add(Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a"}}, Ramp(61, 10'000, 1, 0));
    data_.Add(Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "b"}}, Ramp(61, 10'000, 0, 0));
    data_.Add(Labels{{"__name__", "info"}, {"job", "api"}, {"version", "1.2"}}, Ramp(61, 10'000, 1, 0));
  }

  QueryResult Instant(const std::string& q, int64_t t) {
    auto e = ParseExpr(q);
    EXPECT_TRUE(e.ok()) << q << ": " << e.status().ToString();
    auto r = engine_.Instant(data_, **e, t);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    return r.ok() ? *r : QueryResult{};
  }
  Status InstantError(const std::string& q, int64_t t) {
    auto r = engine_.Instant(data_, *ParseExpr(q).MoveValue(), t);
    return r.status();
  }
  // {labels as text -> value} of an instant vector.
  std::map<std::string, double> Values(const std::string& q, int64_t t) {
    QueryResult r = Instant(q, t);
    std::map<std::string, double> out;
    for (const SeriesResult& s : r.series) {
      EXPECT_EQ(s.points.size(), 1u);
      out[s.labels.ToString()] = s.points[0].v;
    }
    return out;
  }

  MemoryQueryable data_;
  Engine engine_;
};

TEST_F(EngineTest, SelectorLookbackIsLeftOpenAndStalenessEndsASeries) {
  MemoryQueryable d;
  d.Add(Labels{{"__name__", "g"}}, {{0, 1}, {60'000, 2}, {120'000, model::StaleNaN()}});
  auto value_at = [&](int64_t t) -> std::optional<double> {
    auto r = engine_.Instant(d, *ParseExpr("g").MoveValue(), t).MoveValue();
    if (r.series.empty()) return std::nullopt;
    return r.series[0].points[0].v;
  };
  EXPECT_EQ(value_at(0), 1);
  EXPECT_EQ(value_at(59'999), 1);
  EXPECT_EQ(value_at(60'000), 2);
  EXPECT_EQ(value_at(119'999), 2);
  EXPECT_EQ(value_at(120'000), std::nullopt);  // stale marker
  EXPECT_EQ(value_at(-1), std::nullopt);
  MemoryQueryable e;
  e.Add(Labels{{"__name__", "g"}}, {{0, 1}});
  auto r = engine_.Instant(e, *ParseExpr("g").MoveValue(), 300'000).MoveValue();
  EXPECT_TRUE(r.series.empty());  // exactly 5 m old: outside the left-open window
  r = engine_.Instant(e, *ParseExpr("g").MoveValue(), 299'999).MoveValue();
  EXPECT_EQ(r.series.size(), 1u);
}

TEST_F(EngineTest, RateIncreaseAndExtrapolation) {
  // 10/10 s = 1 per second; samples cover the range fully.
  auto rate = Values("rate(http_requests{instance=\"a\"}[1m])", 300'000);
  ASSERT_EQ(rate.size(), 1u);
  EXPECT_DOUBLE_EQ(rate.begin()->second, 1.0);
  EXPECT_EQ(rate.begin()->first, "{instance=\"a\", job=\"api\"}");  // name dropped
  // increase over 1 m: samples at 250..300 s span 50 s, extrapolated to 60 s.
  auto inc = Values("increase(http_requests{instance=\"b\"}[1m])", 300'000);
  EXPECT_DOUBLE_EQ(inc.begin()->second, 120.0);
  // A counter reset is compensated.
  MemoryQueryable d;
  d.Add(Labels{{"__name__", "c"}}, {{0, 10}, {10'000, 20}, {20'000, 5}, {30'000, 15}});
  auto r = engine_.Instant(d, *ParseExpr("increase(c[40s])").MoveValue(), 30'000).MoveValue();
  // raw increase 10 + (20 reset) ... = 15 - 10 + 20 = 25 over 30 s, start
  // extrapolated to zero point? first value 10 > 0: to_zero = 30*10/25 = 12 s
  // but to_start = 10 s + (40-30) → threshold 11 s: to_start 10 s < 11 → kept
  // at 10 s; min(10, 12) = 10. end: 0. factor (30 + 10) / 30.
  EXPECT_DOUBLE_EQ(r.series[0].points[0].v, 25.0 * 40 / 30);
  // irate uses the last two samples.
  auto ir = Values("irate(http_requests{instance=\"b\"}[1m])", 300'000);
  EXPECT_DOUBLE_EQ(ir.begin()->second, 2.0);
}

TEST_F(EngineTest, OverTimeFunctions) {
  MemoryQueryable d;
  d.Add(Labels{{"__name__", "g"}}, {{10'000, 1}, {20'000, 5}, {30'000, 3}, {40'000, model::StaleNaN()}});
  auto q = [&](const std::string& expr) {
    return engine_.Instant(d, *ParseExpr(expr).MoveValue(), 40'000).MoveValue().series.at(0).points.at(0).v;
  };
  EXPECT_DOUBLE_EQ(q("avg_over_time(g[1m])"), 3);
  EXPECT_DOUBLE_EQ(q("sum_over_time(g[1m])"), 9);
  EXPECT_DOUBLE_EQ(q("min_over_time(g[1m])"), 1);
  EXPECT_DOUBLE_EQ(q("max_over_time(g[1m])"), 5);
  EXPECT_DOUBLE_EQ(q("count_over_time(g[1m])"), 3);  // the stale marker is not a sample
  EXPECT_DOUBLE_EQ(q("last_over_time(g[1m])"), 3);
  EXPECT_DOUBLE_EQ(q("stdvar_over_time(g[1m])"), 8.0 / 3);
  EXPECT_DOUBLE_EQ(q("quantile_over_time(0.5, g[1m])"), 3);
  EXPECT_DOUBLE_EQ(q("changes(g[1m])"), 2);
  EXPECT_DOUBLE_EQ(q("resets(g[1m])"), 1);
  // Left-open range: [30s] at 40 s sees (10 s, 40 s], not the sample at 10 s.
  EXPECT_DOUBLE_EQ(q("count_over_time(g[30s])"), 2);
}

TEST_F(EngineTest, AggregationsGroupAndSelect) {
  auto sum = Values("sum by (job) (http_requests)", 600'000);
  EXPECT_EQ(sum, (std::map<std::string, double>{{"{job=\"api\"}", 1800}, {"{job=\"web\"}", 65}}));
  auto total = Values("sum(http_requests)", 600'000);
  EXPECT_EQ(total, (std::map<std::string, double>{{"{}", 1865}}));
  auto avg = Values("avg without (instance) (http_requests)", 600'000);
  EXPECT_EQ(avg, (std::map<std::string, double>{{"{job=\"api\"}", 900}, {"{job=\"web\"}", 65}}));
  EXPECT_EQ(Values("count(up)", 0), (std::map<std::string, double>{{"{}", 2}}));
  EXPECT_EQ(Values("max(http_requests)", 600'000).begin()->second, 1200);
  EXPECT_EQ(Values("min(http_requests)", 600'000).begin()->second, 65);
  EXPECT_EQ(Values("group by (job) (http_requests)", 600'000).size(), 2u);
  EXPECT_DOUBLE_EQ(Values("stddev(http_requests{job=\"api\"})", 600'000).begin()->second, 300);
  EXPECT_DOUBLE_EQ(Values("quantile(0.5, http_requests)", 600'000).begin()->second, 600);
  auto top = Values("topk(1, http_requests)", 600'000);
  EXPECT_EQ(top, (std::map<std::string, double>{
                     {"http_requests{instance=\"b\", job=\"api\"}", 1200}}));
  auto bottom = Values("bottomk by (job) (1, http_requests)", 600'000);
  EXPECT_EQ(bottom.size(), 2u);
}

// sum, avg, ... fold each input series into its group as it is read, so
// the sample limit bounds the groups' values, not the input's: 400 series
// x 11 steps of a range function are 4,400 points, never held at once.
TEST(EngineLimitsTest, AggregationsFoldTheirInputSeriesOneAtATime) {
  MemoryQueryable data;
  for (int i = 0; i < 400; ++i) {
    data.Add(Labels{{"__name__", "requests_total"}, {"job", i % 2 ? "a" : "b"},
                    {"pod", std::to_string(i)}},
             Ramp(61, 10'000, i, i % 7));
  }
  EngineOptions options;
  options.max_samples = 1'000;
  Engine engine(options);
  auto run = [&](const std::string& q) {
    return engine.Range(data, *ParseExpr(q).MoveValue(), 0, 600'000, 60'000);
  };
  for (const char* q : {"sum by (job) (rate(requests_total[2m]))", "avg(requests_total)",
                        "count by (job) (requests_total)", "stddev(rate(requests_total[5m]))"}) {
    auto r = run(q);
    ASSERT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    EXPECT_FALSE(r->series.empty()) << q;
  }
  auto by_job = run("sum by (job) (rate(requests_total[2m]))").MoveValue();
  ASSERT_EQ(by_job.series.size(), 2u);
  // Per job: 200 pods with rates (i % 7) / 10 per second.
  double want_a = 0, want_b = 0;
  for (int i = 0; i < 400; ++i) (i % 2 ? want_a : want_b) += (i % 7) / 10.0;
  EXPECT_NEAR(by_job.series[0].points.back().v, want_a, 1e-9);
  EXPECT_NEAR(by_job.series[1].points.back().v, want_b, 1e-9);
  // What must hold every input at once still meets the limit.
  auto held = run("quantile(0.5, requests_total)");
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.status().code(), StatusCode::kResourceExhausted);
  EXPECT_FALSE(run("requests_total").ok());
}

TEST_F(EngineTest, BinaryOperatorsAndVectorMatching) {
  EXPECT_DOUBLE_EQ(Instant("1 + 2 * 3", 0).scalar.v, 7);
  EXPECT_DOUBLE_EQ(Instant("2 ^ 3 ^ 2", 0).scalar.v, 512);
  EXPECT_DOUBLE_EQ(Instant("-2 ^ 2", 0).scalar.v, -4);
  EXPECT_DOUBLE_EQ(Instant("5 > bool 3", 0).scalar.v, 1);
  // Vector/scalar: arithmetic drops the name, a filter keeps it.
  EXPECT_EQ(Values("up * 2", 0), (std::map<std::string, double>{
                                     {"{instance=\"a\", job=\"api\"}", 2},
                                     {"{instance=\"b\", job=\"api\"}", 0}}));
  EXPECT_EQ(Values("up == 1", 0), (std::map<std::string, double>{
                                      {"up{instance=\"a\", job=\"api\"}", 1}}));
  EXPECT_EQ(Values("1 < http_requests", 0),  // the vector's value is kept
            (std::map<std::string, double>{
                {"http_requests{instance=\"c\", job=\"web\"}", 5}}));
  EXPECT_EQ(Values("up == bool 1", 0).size(), 2u);
  // One-to-one on all labels but the name.
  EXPECT_EQ(Values("http_requests / up", 600'000),
            (std::map<std::string, double>{{"{instance=\"a\", job=\"api\"}", 600},
                                           {"{instance=\"b\", job=\"api\"}", INFINITY}}));
  // on(): only the listed labels are kept.
  EXPECT_EQ(Values("http_requests - on (instance) up", 600'000),
            (std::map<std::string, double>{{"{instance=\"a\"}", 599}, {"{instance=\"b\"}", 1200}}));
  // Many-to-one with group_left pulls in labels from the one side.
  EXPECT_EQ(Values("http_requests * on (job) group_left (version) info", 600'000),
            (std::map<std::string, double>{
                {"{instance=\"a\", job=\"api\", version=\"1.2\"}", 600},
                {"{instance=\"b\", job=\"api\", version=\"1.2\"}", 1200}}));
  // Without group_left it is an error.
  Status st = InstantError("http_requests * on (job) info", 600'000);
  EXPECT_NE(st.message().find("many-to-one matching must be explicit"), std::string::npos)
      << st.ToString();
  // Set operators.
  EXPECT_EQ(Values("http_requests and up", 0).size(), 2u);
  EXPECT_EQ(Values("http_requests unless up", 0).size(), 1u);
  // `or` adds right-hand series whose labels (without the name) the left lacks.
  EXPECT_EQ(Values("up or http_requests", 0).size(), 3u);
  EXPECT_EQ(Values("up == 0 or up", 0).size(), 2u);
}

TEST_F(EngineTest, OffsetAtAndRangeQueries) {
  EXPECT_EQ(Values("http_requests{instance=\"a\"} offset 1m", 600'000).begin()->second, 540);
  EXPECT_EQ(Values("http_requests{instance=\"a\"} @ 100", 600'000).begin()->second, 100);
  EXPECT_EQ(Values("http_requests{instance=\"a\"} @ 100 offset 10s", 600'000).begin()->second, 90);
  auto e = ParseExpr("sum(rate(http_requests[1m]))").MoveValue();
  auto r = engine_.Range(data_, *e, 60'000, 180'000, 60'000).MoveValue();
  ASSERT_EQ(r.type, ValueType::kMatrix);
  ASSERT_EQ(r.series.size(), 1u);
  ASSERT_EQ(r.series[0].points.size(), 3u);
  for (const Point& p : r.series[0].points) EXPECT_DOUBLE_EQ(p.v, 1 + 2 + 0.1);
  // @ end() in a range query pins every step to the end.
  auto pinned = engine_.Range(data_, *ParseExpr("http_requests{instance=\"a\"} @ end()").MoveValue(),
                              0, 120'000, 60'000).MoveValue();
  for (const Point& p : pinned.series[0].points) EXPECT_EQ(p.v, 120);
  // A range query needs a scalar or instant vector.
  auto bad = engine_.Range(data_, *ParseExpr("http_requests[1m]").MoveValue(), 0, 60'000, 60'000);
  EXPECT_FALSE(bad.ok());
  // Instant query of a range selector: raw samples in (t-1m, t].
  auto raw = Instant("http_requests{instance=\"a\"}[1m]", 600'000);
  EXPECT_EQ(raw.type, ValueType::kMatrix);
  EXPECT_EQ(raw.series[0].points.size(), 6u);
}

TEST_F(EngineTest, FunctionsAndNotYetImplemented) {
  EXPECT_EQ(Values("abs(up - 1)", 0).size(), 2u);
  EXPECT_DOUBLE_EQ(Instant("scalar(up{instance=\"a\"})", 0).scalar.v, 1);
  EXPECT_TRUE(std::isnan(Instant("scalar(up)", 0).scalar.v));  // two series
  EXPECT_EQ(Values("clamp_max(http_requests, 100)", 600'000).begin()->second, 100);
  EXPECT_DOUBLE_EQ(Instant("time()", 42'000).scalar.v, 42);
  EXPECT_EQ(Values("vector(3)", 0), (std::map<std::string, double>{{"{}", 3}}));
  EXPECT_EQ(Values("limitk(1, up)", 0).size(), 1u);
  EXPECT_EQ(Values("sort_by_label(up, \"instance\")", 0).size(), 2u);
  // Native histograms do not exist here: their functions see only floats and return nothing.
  EXPECT_TRUE(Values("histogram_count(up)", 0).empty());
  EXPECT_EQ(InstantError("info(up)", 0).code(), StatusCode::kUnimplemented);
}

TEST_F(EngineTest, StringArgumentsInParentheses) {
  // Regression (found by UBSan): string parameters may come wrapped in parentheses.
  EXPECT_EQ(Values("count_values((\"v\"), up)", 0), Values("count_values(\"v\", up)", 0));
  EXPECT_EQ(Values("count_values((\"v\"), up)", 0).size(), 2u);
  EXPECT_EQ(Values("label_replace(up, (\"x\"), \"y\", \"\", \"\")", 0).size(), 2u);
}

TEST_F(EngineTest, LabelFunctions) {
  EXPECT_EQ(Values("label_replace(up, \"host\", \"h-$1\", \"instance\", \"(.*)\")", 0),
            (std::map<std::string, double>{
                {"up{host=\"h-a\", instance=\"a\", job=\"api\"}", 1},
                {"up{host=\"h-b\", instance=\"b\", job=\"api\"}", 0}}));
  // No match: the series is unchanged. The regex is anchored.
  EXPECT_EQ(Values("label_replace(up, \"host\", \"x\", \"instance\", \"b|c\")", 0),
            (std::map<std::string, double>{{"up{instance=\"a\", job=\"api\"}", 1},
                                           {"up{host=\"x\", instance=\"b\", job=\"api\"}", 0}}));
  // An empty result deletes the label; named groups and ${n} work.
  EXPECT_EQ(Values("label_replace(up{instance=\"a\"}, \"job\", \"\", \"job\", \".*\")", 0),
            (std::map<std::string, double>{{"up{instance=\"a\"}", 1}}));
  EXPECT_EQ(Values("label_replace(up{instance=\"a\"}, \"x\", \"${1}_$name\", \"job\", \"(?P<name>a)(.*)\")", 0),
            (std::map<std::string, double>{{"up{instance=\"a\", job=\"api\", x=\"a_a\"}", 1}}));
  EXPECT_EQ(Values("label_join(up{instance=\"a\"}, \"id\", \"/\", \"job\", \"instance\")", 0),
            (std::map<std::string, double>{{"up{id=\"api/a\", instance=\"a\", job=\"api\"}", 1}}));
}

TEST_F(EngineTest, SortAbsentTimestampRoundCountValues) {
  QueryResult sorted = Instant("sort_desc(http_requests)", 600'000);
  ASSERT_EQ(sorted.series.size(), 3u);
  EXPECT_EQ(sorted.series[0].points[0].v, 1200);
  EXPECT_EQ(sorted.series[2].points[0].v, 65);
  QueryResult asc = Instant("sort(http_requests)", 600'000);
  EXPECT_EQ(asc.series[0].points[0].v, 65);
  EXPECT_EQ(Values("absent(nonexistent{job=\"x\", a=~\"b\"})", 0),
            (std::map<std::string, double>{{"{job=\"x\"}", 1}}));
  EXPECT_TRUE(Values("absent(up)", 0).empty());
  EXPECT_EQ(Values("absent_over_time(nonexistent{job=\"x\"}[1m])", 0).size(), 1u);
  EXPECT_TRUE(Values("absent_over_time(up[1m])", 0).empty());
  // timestamp() of a selector is the picked sample's time.
  EXPECT_EQ(Values("timestamp(up{instance=\"a\"})", 65'000),
            (std::map<std::string, double>{{"{instance=\"a\", job=\"api\"}", 60}}));
  EXPECT_EQ(Values("round(http_requests{instance=\"c\"} / 10)", 600'000).begin()->second, 7);
  EXPECT_EQ(Values("round(http_requests{instance=\"c\"}, 20)", 600'000).begin()->second, 60);
  EXPECT_EQ(Values("count_values(\"v\", up)", 0),
            (std::map<std::string, double>{{"{v=\"0\"}", 1}, {"{v=\"1\"}", 1}}));
  // 2026-01-01T00:00:00Z is a Thursday (4), day 1, 31 days in the month.
  EXPECT_EQ(Values("day_of_week(vector(1767225600))", 0).begin()->second, 4);
  EXPECT_EQ(Values("days_in_month(vector(1767225600))", 0).begin()->second, 31);
  EXPECT_EQ(Values("year(vector(1767225600))", 0).begin()->second, 2026);
  EXPECT_EQ(Values("hour()", 7'200'000).begin()->second, 2);
}

TEST_F(EngineTest, HistogramQuantileOnClassicBuckets) {
  MemoryQueryable d;
  // 100 observations: 50 <= 0.1, 90 <= 0.5, all <= 1.
  for (auto [le, count] : std::vector<std::pair<std::string, double>>{
           {"0.1", 50}, {"0.5", 90}, {"1", 100}, {"+Inf", 100}}) {
    d.Add(Labels{{"__name__", "h_bucket"}, {"job", "api"}, {"le", le}}, {{0, count}});
  }
  auto q = [&](const std::string& expr) {
    auto r = engine_.Instant(d, *ParseExpr(expr).MoveValue(), 0).MoveValue();
    EXPECT_EQ(r.series.size(), 1u);
    EXPECT_EQ(r.series[0].labels.ToString(), "{job=\"api\"}");
    return r.series[0].points[0].v;
  };
  EXPECT_DOUBLE_EQ(q("histogram_quantile(0.5, h_bucket)"), 0.1);
  EXPECT_DOUBLE_EQ(q("histogram_quantile(0.7, h_bucket)"), 0.1 + 0.4 * (20.0 / 40));
  EXPECT_DOUBLE_EQ(q("histogram_quantile(0.95, h_bucket)"), 0.5 + 0.5 * (5.0 / 10));
  EXPECT_DOUBLE_EQ(q("histogram_quantile(1, h_bucket)"), 1);  // top bucket: its lower bound
  EXPECT_TRUE(std::isinf(q("histogram_quantile(2, h_bucket)")));
}

TEST_F(EngineTest, Subqueries) {
  // max over the last 5 minutes of 1-minute rates, evaluated every minute.
  auto v = Values("max_over_time(rate(http_requests{instance=\"b\"}[1m])[5m:1m])", 600'000);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_DOUBLE_EQ(v.begin()->second, 2.0);
  // The inner steps are aligned to multiples of the step: at t = 330 s with
  // [2m:1m], the inner points are 240 s and 300 s (left-open at 210 s).
  auto n = Values("count_over_time(up{instance=\"a\"}[2m:1m])", 330'000);
  EXPECT_EQ(n.begin()->second, 2);
  auto raw = Instant("up{instance=\"a\"}[2m:1m]", 330'000);
  ASSERT_EQ(raw.type, ValueType::kMatrix);
  ASSERT_EQ(raw.series[0].points.size(), 2u);
  EXPECT_EQ(raw.series[0].points[0].t, 240'000);
  // Default step (1m) and offset on the subquery.
  auto off = Values("count_over_time(up{instance=\"a\"}[3m:] offset 1m)", 330'000);
  EXPECT_EQ(off.begin()->second, 3);
}

}  // namespace
}  // namespace mytsdb::promql
