// Group evaluation with Prometheus's semantics, worked out from
// rules/recording.go, rules/alerting.go and rules/group.go; the PromQL
// engine runs the rules' queries over an in-memory store that also receives
// what the rules append.
#include "rules/group.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "model/sample.h"
#include "promql/engine.h"
#include "promql/memory_queryable.h"

namespace mytsdb::rules {
namespace {

using model::Labels;

constexpr int64_t kMinute = 60'000;

class GroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    context_.instant_query = [this](const promql::Node& expr, int64_t t) { return engine_.Instant(data_, expr, t); };
    context_.select = [this](const model::Matchers& m, model::TimeRange r) -> Result<std::vector<promql::Series>> {
      ASSIGN_OR_RETURN(auto set, data_.Select(m, r, {}));
      return promql::ReadAll(*set);
    };
    context_.external_labels = {{"region", "eu"}};
    context_.external_url = "http://mytsdb.example:9663/";
  }

  // A series scraped every 15 s from 0 to `until` with the values `value(t)`.
  void Scrape(const Labels& labels, int64_t until, double (*value)(int64_t)) {
    for (int64_t t = 0; t <= until; t += 15'000) data_.Append(labels, {t, value(t)});
  }

  std::unique_ptr<Group> MakeGroup(const std::string& yaml, bool restore = false) {
    auto parsed = ParseRuleFile(yaml);
    EXPECT_TRUE(parsed.errors.empty()) << (parsed.errors.empty() ? "" : parsed.errors[0]);
    GroupOptions options;
    options.append = [this](std::span<const RuleSample> samples) {
      for (const RuleSample& s : samples) {
        appended_.push_back(s);
        data_.Append(s.labels, {s.t, s.v});
      }
      return Status::OK();
    };
    options.restore = restore;
    options.on_transitions = [this](const Group& g, const AlertingRule& rule, int64_t ts,
                                    std::vector<AlertTransition> changes) {
      for (const AlertTransition& c : changes) {
        transitions_.push_back(g.name() + "/" + rule.spec().name + " " + c.alert.labels.ToString() + " @" +
                               std::to_string(ts / kMinute) + "m: " + AlertStateName(c.from) + " -> " + c.to());
      }
    };
    auto g = Group::Make(parsed.file.groups.at(0), "rules.yml", options);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return g.ok() ? g.MoveValue() : nullptr;
  }

  // name{labels} -> value of what was appended at `t`.
  std::map<std::string, double> AppendedAt(int64_t t) const {
    std::map<std::string, double> out;
    for (const RuleSample& s : appended_) {
      if (s.t == t) out[s.labels.ToString()] = s.v;
    }
    return out;
  }

  promql::Engine engine_;
  promql::MemoryQueryable data_;
  EvalContext context_;
  std::vector<RuleSample> appended_;
  std::vector<std::string> transitions_;  // as on_transitions reported them
};

TEST_F(GroupTest, RecordingRulesWriteTheirResultAndMarkVanishedSeriesStale) {
  Scrape(Labels{{"__name__", "requests"}, {"job", "api"}, {"instance", "a"}}, 10 * kMinute,
         [](int64_t t) { return t / 1000.0; });
  Scrape(Labels{{"__name__", "requests"}, {"job", "web"}, {"instance", "b"}}, 3 * kMinute,
         [](int64_t) { return 5.0; });
  auto g = MakeGroup(R"yaml(groups:
  - name: g
    labels: {source: group}
    rules:
      - record: job:requests:sum
        expr: sum by (job) (requests)
        labels: {source: rule, team: infra}
)yaml");
  ASSERT_TRUE(g);
  g->Eval(2 * kMinute, context_);
  EXPECT_EQ(AppendedAt(2 * kMinute),
            (std::map<std::string, double>{
                {"job:requests:sum{job=\"api\", source=\"rule\", team=\"infra\"}", 120},
                {"job:requests:sum{job=\"web\", source=\"rule\", team=\"infra\"}", 5}}));
  // At 9m the web series has been gone for more than the lookback: its
  // recorded series gets a staleness marker, once.
  g->Eval(9 * kMinute, context_);
  auto at9 = AppendedAt(9 * kMinute);
  ASSERT_EQ(at9.size(), 2u);
  EXPECT_EQ(at9["job:requests:sum{job=\"api\", source=\"rule\", team=\"infra\"}"], 540);
  EXPECT_TRUE(model::IsStaleNaN(at9["job:requests:sum{job=\"web\", source=\"rule\", team=\"infra\"}"]));
  g->Eval(10 * kMinute, context_);
  EXPECT_EQ(AppendedAt(10 * kMinute).size(), 1u);
  EXPECT_EQ(g->rules()[0]->health().state, RuleHealth::State::kOk);
  EXPECT_EQ(g->stats().evaluations, 3u);
}

TEST_F(GroupTest, AlertsGoPendingFiringAndResolvedWithForAndKeepFiringFor) {
  // down between 1m and 5m.
  Scrape(Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a:9100"}}, 30 * kMinute,
         [](int64_t t) { return t >= kMinute && t < 5 * kMinute ? 0.0 : 1.0; });
  auto g = MakeGroup(R"yaml(groups:
  - name: g
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 2m
        keep_firing_for: 2m
        labels: {severity: '{{ if eq $labels.job "api" }}page{{ else }}ticket{{ end }}'}
        annotations:
          summary: '{{ $labels.instance | stripPort }} of {{ $labels.job }} down, value {{ $value }} in {{ $externalLabels.region }}'
          count: '{{ with query "count(up == 0)" }}{{ . | first | value }}{{ end }}'
)yaml");
  ASSERT_TRUE(g);
  auto& rule = dynamic_cast<AlertingRule&>(*g->rules()[0]);
  const std::string alerts = R"(ALERTS{alertname="InstanceDown", alertstate=")";
  const std::string labels = R"(", instance="a:9100", job="api", severity="page"})";
  const std::string for_state = R"(ALERTS_FOR_STATE{alertname="InstanceDown", instance="a:9100", job="api", severity="page"})";

  g->Eval(0, context_);
  EXPECT_TRUE(AppendedAt(0).empty());
  g->Eval(kMinute, context_);  // down: pending
  EXPECT_EQ(AppendedAt(kMinute), (std::map<std::string, double>{{alerts + "pending" + labels, 1}, {for_state, 60}}));
  ASSERT_EQ(rule.Alerts().size(), 1u);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kPending);
  EXPECT_EQ(rule.Alerts()[0].annotations[0].value, "1");  // count, sorted before summary
  EXPECT_EQ(rule.Alerts()[0].annotations[1].value, "a of api down, value 0 in eu");
  g->Eval(2 * kMinute, context_);  // pending for 1m < 2m
  EXPECT_EQ(AppendedAt(2 * kMinute).count(alerts + "pending" + labels), 1u);
  g->Eval(3 * kMinute, context_);  // for 2m: firing; the pending series goes stale
  auto at3 = AppendedAt(3 * kMinute);
  EXPECT_EQ(at3[alerts + "firing" + labels], 1);
  EXPECT_TRUE(model::IsStaleNaN(at3[alerts + "pending" + labels]));
  EXPECT_EQ(at3[for_state], 60);
  EXPECT_EQ(rule.Alerts()[0].fired_at, 3 * kMinute);
  // Up again at 5m (lookback: the last 0 is seen until the next sample).
  g->Eval(6 * kMinute, context_);  // keep_firing_for: still firing
  EXPECT_EQ(AppendedAt(6 * kMinute)[alerts + "firing" + labels], 1);
  EXPECT_EQ(rule.Alerts()[0].keep_firing_since, 6 * kMinute);
  g->Eval(7 * kMinute, context_);  // 1m < 2m: still firing
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kFiring);
  g->Eval(8 * kMinute, context_);  // kept 2m: resolved, its series stale
  ASSERT_EQ(rule.Alerts().size(), 1u);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kInactive);
  EXPECT_EQ(rule.Alerts()[0].resolved_at, 8 * kMinute);
  auto at8 = AppendedAt(8 * kMinute);
  EXPECT_TRUE(model::IsStaleNaN(at8[alerts + "firing" + labels]));
  EXPECT_TRUE(model::IsStaleNaN(at8[for_state]));
  // A resolved alert is kept 15 minutes (to be sent as resolved), then
  // forgotten.
  g->Eval(23 * kMinute, context_);
  EXPECT_EQ(rule.Alerts().size(), 1u);
  g->Eval(24 * kMinute, context_);
  EXPECT_TRUE(rule.Alerts().empty());
  // Each change once, when it happened (for the alert history).
  const std::string a = R"(g/InstanceDown {alertname="InstanceDown", instance="a:9100", job="api", severity="page"})";
  EXPECT_EQ(transitions_, (std::vector<std::string>{a + " @1m: inactive -> pending", a + " @3m: pending -> firing",
                                                    a + " @8m: firing -> resolved"}));
}

TEST_F(GroupTest, APendingAlertThatClearsIsForgottenAtOnce) {
  Scrape(Labels{{"__name__", "up"}, {"instance", "x"}}, 10 * kMinute,
         [](int64_t t) { return t >= kMinute && t < 2 * kMinute ? 0.0 : 1.0; });
  auto g = MakeGroup(R"yaml(groups:
  - name: g
    rules:
      - alert: Flap
        expr: up == 0
        for: 5m
)yaml");
  ASSERT_TRUE(g);
  auto& rule = dynamic_cast<AlertingRule&>(*g->rules()[0]);
  g->Eval(kMinute, context_);
  EXPECT_EQ(rule.Alerts().size(), 1u);
  g->Eval(3 * kMinute, context_);
  EXPECT_TRUE(rule.Alerts().empty());
  EXPECT_EQ(transitions_, (std::vector<std::string>{
                              R"(g/Flap {alertname="Flap", instance="x"} @1m: inactive -> pending)",
                              R"(g/Flap {alertname="Flap", instance="x"} @3m: pending -> inactive)"}));
}

TEST_F(GroupTest, FailuresAreRecordedAndTheOtherRulesRun) {
  Scrape(Labels{{"__name__", "m"}, {"a", "1"}}, kMinute, [](int64_t) { return 1.0; });
  Scrape(Labels{{"__name__", "m"}, {"a", "2"}}, kMinute, [](int64_t) { return 2.0; });
  Scrape(Labels{{"__name__", "n"}, {"a", "1"}}, kMinute, [](int64_t) { return 3.0; });
  auto g = MakeGroup(R"yaml(groups:
  - name: g
    limit: 1
    rules:
      - record: too_many
        expr: m
      - record: same_labels
        expr: m or n
      - record: fine
        expr: sum(m)
)yaml");
  ASSERT_TRUE(g);
  g->Eval(kMinute, context_);
  EXPECT_EQ(g->rules()[0]->health().state, RuleHealth::State::kErr);
  EXPECT_EQ(g->rules()[0]->health().last_error, "exceeded limit of 1 with 2 series");
  EXPECT_EQ(g->rules()[1]->health().state, RuleHealth::State::kErr);
  EXPECT_EQ(g->rules()[2]->health().state, RuleHealth::State::kOk);
  EXPECT_EQ(AppendedAt(kMinute), (std::map<std::string, double>{{"fine{}", 3}}));
  EXPECT_EQ(g->stats().rule_failures, 2u);
}

TEST_F(GroupTest, AlertsAreRestoredAfterARestartAsPrometheusRestoresThem) {
  // The run before wrote ALERTS_FOR_STATE until it went down at 20m; this
  // one starts at 30m, and the instances are down (up == 0) again.
  const int64_t down = 20 * kMinute;
  auto for_state = [&](const std::string& instance, double active_at_s, bool stale_at_end) {
    const Labels l{{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "Down"}, {"instance", instance}};
    for (int64_t t = down - 5 * kMinute; t < down; t += kMinute) data_.Append(l, {t, active_at_s});
    data_.Append(l, {down, stale_at_end ? model::StaleNaN() : active_at_s});
  };
  for_state("firing", 120, false);      // active since 2m: it was firing (for 10m)
  for_state("almost", 900, false);      // 5m pending of 10m: fewer left than the grace period
  for_state("fresh", 1140, false);      // 1m pending: 9m left, more than the grace period
  for_state("resolved", 900, true);     // stale: not active when the run ended
  for (const char* instance : {"firing", "almost", "fresh", "resolved", "new"}) {
    Scrape(Labels{{"__name__", "up"}, {"instance", instance}}, 0, [](int64_t) { return 0.0; });
    for (int64_t t = 29 * kMinute; t <= 60 * kMinute; t += 15'000) {
      data_.Append(Labels{{"__name__", "up"}, {"instance", instance}}, {t, 0});
    }
  }
  auto g = MakeGroup(R"yaml(groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
        for: 10m
)yaml", /*restore=*/true);
  ASSERT_TRUE(g);
  auto& rule = dynamic_cast<AlertingRule&>(*g->rules()[0]);
  EXPECT_TRUE(g->needs_restore());
  const int64_t start = 30 * kMinute;
  g->Eval(start, context_);
  g->Eval(start + kMinute, context_);
  EXPECT_TRUE(AppendedAt(start).empty());  // no ALERTS before the state is restored
  const int64_t ts = start + kMinute;
  g->RestoreForState(ts, context_, /*outage_tolerance_ms=*/60 * kMinute, /*grace_period_ms=*/6 * kMinute);
  EXPECT_FALSE(g->needs_restore());
  std::map<std::string, int64_t> active_at;
  for (const Alert& a : rule.Alerts()) active_at[std::string(a.labels.Get("instance"))] = a.active_at;
  EXPECT_EQ(active_at["firing"], 120'000);                                // as it was
  EXPECT_EQ(active_at["almost"], ts + 6 * kMinute - 10 * kMinute);        // fires after the grace period
  EXPECT_EQ(active_at["fresh"], 1'140'000 + (ts - down));                // the outage does not count
  EXPECT_EQ(active_at["resolved"], start);                                // started afresh
  EXPECT_EQ(active_at["new"], start);
  // The next evaluation: the one that was firing fires at once, and ALERTS
  // are written again.
  g->Eval(ts + kMinute, context_);
  for (const Alert& a : rule.Alerts()) {
    EXPECT_EQ(a.state, a.labels.Get("instance") == "firing" ? AlertState::kFiring : AlertState::kPending)
        << a.labels.ToString();
  }
  EXPECT_EQ(AppendedAt(ts + kMinute).size(), 10u);
  // "almost" fires after the grace period from the restore, "fresh" after
  // its remaining 9 minutes.
  g->Eval(ts + 6 * kMinute, context_);
  for (const Alert& a : rule.Alerts()) {
    const bool firing = a.labels.Get("instance") == "firing" || a.labels.Get("instance") == "almost";
    EXPECT_EQ(a.state == AlertState::kFiring, firing) << a.labels.ToString();
  }
  g->Eval(ts + 9 * kMinute, context_);
  for (const Alert& a : rule.Alerts()) {
    if (a.labels.Get("instance") == "fresh") EXPECT_EQ(a.state, AlertState::kFiring);
  }
}

TEST_F(GroupTest, RulesWithAForShorterThanTheGracePeriodAreNotRestored) {
  const Labels l{{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "Quick"}, {"instance", "x"}};
  data_.Append(l, {20 * kMinute, 60});
  Scrape(Labels{{"__name__", "up"}, {"instance", "x"}}, 40 * kMinute, [](int64_t) { return 0.0; });
  auto g = MakeGroup(R"yaml(groups:
  - name: g
    rules:
      - alert: Quick
        expr: up == 0
        for: 1m
)yaml", /*restore=*/true);
  ASSERT_TRUE(g);
  g->Eval(30 * kMinute, context_);
  g->RestoreForState(30 * kMinute, context_, 60 * kMinute, 10 * kMinute);
  auto& rule = dynamic_cast<AlertingRule&>(*g->rules()[0]);
  EXPECT_EQ(rule.Alerts()[0].active_at, 30 * kMinute);
}

TEST_F(GroupTest, QueryOffsetShiftsQueriesAndSamples) {
  Scrape(Labels{{"__name__", "m"}}, 10 * kMinute, [](int64_t t) { return t / 1000.0; });
  auto g = MakeGroup(R"yaml(groups:
  - name: g
    query_offset: 1m
    rules:
      - record: m_copy
        expr: m
)yaml");
  ASSERT_TRUE(g);
  g->Eval(5 * kMinute, context_);
  EXPECT_EQ(AppendedAt(4 * kMinute), (std::map<std::string, double>{{"m_copy{}", 240}}));
}

TEST(GroupTimingTest, EvaluationTimesAreAlignedAndSpreadByGroup) {
  GroupOptions options;
  options.append = [](std::span<const RuleSample>) { return Status::OK(); };
  RuleGroup a{.name = "a", .interval_ms = 30'000};
  RuleGroup b{.name = "b", .interval_ms = 30'000};
  auto ga = Group::Make(a, "f.yml", options);
  auto gb = Group::Make(b, "f.yml", options);
  ASSERT_TRUE(ga.ok() && gb.ok());
  const int64_t now = 1'700'000'012'345;
  for (const auto* g : {ga->get(), gb->get()}) {
    const int64_t ts = g->EvalTimestamp(now);
    EXPECT_LE(ts, now);
    EXPECT_GT(ts, now - 30'000);
    // Every evaluation of the group lands on the same phase of the interval.
    EXPECT_EQ(g->EvalTimestamp(now + 30'000), ts + 30'000);
    EXPECT_EQ(g->EvalTimestamp(ts), ts);
  }
  EXPECT_NE((*ga)->EvalTimestamp(now), (*gb)->EvalTimestamp(now));
}

}  // namespace
}  // namespace mytsdb::rules
