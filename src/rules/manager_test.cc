// The manager on real threads with short intervals: groups evaluate at
// aligned times, an overrunning group counts missed iterations instead of
// piling up, a reload with a bad file changes nothing, a removed group's
// series go stale.
#include "rules/manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "model/sample.h"
#include "promql/engine.h"
#include "promql/memory_queryable.h"

namespace mytsdb::rules {
namespace {

class ManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mytsdb_rules_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    data_.Add(model::Labels{{"__name__", "up"}, {"job", "a"}}, {});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }

  ManagerOptions Options() {
    ManagerOptions o;
    o.sources.rule_files = {"*.yml"};
    o.sources.base_dir = dir_.string();
    o.context.instant_query = [this](const promql::Node& expr, int64_t t) {
      std::lock_guard lock(mu_);
      // `up` is 1 at every time asked.
      data_.Append(model::Labels{{"__name__", "up"}, {"job", "a"}}, {t, 1});
      if (slow_) std::this_thread::sleep_for(std::chrono::milliseconds(slow_));
      return engine_.Instant(data_, expr, t);
    };
    o.append = [this](std::span<const RuleSample> samples) {
      std::lock_guard lock(mu_);
      for (const RuleSample& s : samples) appended_.push_back(s);
      return Status::OK();
    };
    return o;
  }

  std::vector<RuleSample> Appended() {
    std::lock_guard lock(mu_);
    return appended_;
  }
  std::vector<int64_t> TimesOf(const std::string& name) {
    std::vector<int64_t> out;
    for (const RuleSample& s : Appended()) {
      if (s.labels.metric_name() == name && !model::IsStaleNaN(s.v)) out.push_back(s.t);
    }
    return out;
  }
  // Waits until `name` has been written `n` times (or 10 s pass).
  void WaitFor(const std::string& name, size_t n) {
    for (int i = 0; i < 1000 && TimesOf(name).size() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::filesystem::path dir_;
  std::mutex mu_;
  promql::Engine engine_;
  promql::MemoryQueryable data_;
  std::vector<RuleSample> appended_;
  int slow_ = 0;
};

TEST_F(ManagerTest, GroupsEvaluateAtAlignedTimes) {
  Write("a.yml", "groups:\n  - name: fast\n    interval: 100ms\n    rules:\n      - record: up_copy\n        expr: up\n");
  auto m = Manager::Start(Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  WaitFor("up_copy", 4);
  (*m)->Stop();
  auto times = TimesOf("up_copy");
  ASSERT_GE(times.size(), 4u);
  const int64_t phase = (*m)->Groups()[0]->EvalTimestamp(times[0]);
  EXPECT_EQ(phase, times[0]);
  for (size_t i = 1; i < times.size(); ++i) EXPECT_EQ((times[i] - times[0]) % 100, 0) << times[i];
  EXPECT_EQ((*m)->Files(), std::vector<std::string>{(dir_ / "a.yml").string()});
}

TEST_F(ManagerTest, AnOverrunningGroupCountsMissedIterations) {
  slow_ = 250;
  Write("a.yml", "groups:\n  - name: slow\n    interval: 100ms\n    rules:\n      - record: up_copy\n        expr: up\n");
  auto m = Manager::Start(Options());
  ASSERT_TRUE(m.ok());
  WaitFor("up_copy", 3);
  (*m)->Stop();
  auto times = TimesOf("up_copy");
  ASSERT_GE(times.size(), 3u);
  // Never two evaluations closer than the time one takes: no pile-up.
  for (size_t i = 1; i < times.size(); ++i) EXPECT_GE(times[i] - times[i - 1], 200);
  telemetry::TextWriter w;
  (*m)->WriteMetrics(&w);
  const std::string key = "prometheus_rule_group_iterations_missed_total{rule_group=\"" + (dir_ / "a.yml").string() + ";slow\"} ";
  const size_t at = w.text().find(key);
  ASSERT_NE(at, std::string::npos) << w.text();
  EXPECT_GE(std::stod(w.text().substr(at + key.size())), 2);
}

TEST_F(ManagerTest, ABadReloadChangesNothingAndARemovedGroupGoesStale) {
  Write("a.yml", "groups:\n  - name: g\n    interval: 100ms\n    rules:\n      - record: up_copy\n        expr: up\n");
  auto m = Manager::Start(Options());
  ASSERT_TRUE(m.ok());
  WaitFor("up_copy", 2);
  Write("b.yml", "groups:\n  - name: g\n    rules:\n      - record: bad\n        expr: up +\n");
  Status st = (*m)->Reload(Options().sources);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("b.yml: 5:15: group \"g\", rule 1, \"bad\": could not parse expression"),
            std::string::npos)
      << st.message();
  const size_t before = TimesOf("up_copy").size();
  WaitFor("up_copy", before + 2);
  EXPECT_GE(TimesOf("up_copy").size(), before + 2);  // still running
  // Both files valid, the first one's group gone: its series go stale.
  Write("a.yml", "groups: []\n");
  Write("b.yml", "groups:\n  - name: h\n    interval: 100ms\n    rules:\n      - record: other\n        expr: up\n");
  ASSERT_TRUE((*m)->Reload(Options().sources).ok());
  WaitFor("other", 1);
  (*m)->Stop();
  bool stale = false;
  for (const RuleSample& s : Appended()) stale = stale || (s.labels.metric_name() == "up_copy" && model::IsStaleNaN(s.v));
  EXPECT_TRUE(stale);
  ASSERT_EQ((*m)->Groups().size(), 1u);
  EXPECT_EQ((*m)->Groups()[0]->name(), "h");
}

// As Prometheus's CopyState: a group changed by a reload keeps the state of
// its rules that are still there (a firing alert stays firing, not pending
// again), and the series of a rule it no longer has go stale.
TEST_F(ManagerTest, AChangedGroupKeepsItsRulesState) {
  Write("a.yml", "groups:\n  - name: g\n    interval: 100ms\n    rules:\n      - alert: Up\n        expr: up == 1\n"
                 "        for: 200ms\n      - record: up_copy\n        expr: up\n");
  auto m = Manager::Start(Options());
  ASSERT_TRUE(m.ok());
  auto firing = [&] {
    for (const RuleSample& s : Appended()) {
      if (s.labels.metric_name() == "ALERTS" && s.labels.Get("alertstate") == "firing") return true;
    }
    return false;
  };
  for (int i = 0; i < 1000 && !firing(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(firing());
  // The group changes: another rule instead of up_copy; the alert stays.
  Write("a.yml", "groups:\n  - name: g\n    interval: 100ms\n    rules:\n      - alert: Up\n        expr: up == 1\n"
                 "        for: 200ms\n      - record: up_twice\n        expr: up * 2\n");
  ASSERT_TRUE((*m)->Reload(Options().sources).ok());
  const size_t reloaded_at = Appended().size();
  WaitFor("up_twice", 2);
  (*m)->Stop();
  const auto after = Appended();
  bool pending_again = false, up_copy_stale = false, firing_after = false;
  for (size_t i = reloaded_at; i < after.size(); ++i) {
    const RuleSample& s = after[i];
    if (s.labels.metric_name() == "ALERTS" && !model::IsStaleNaN(s.v)) {
      pending_again = pending_again || s.labels.Get("alertstate") == "pending";
      firing_after = firing_after || s.labels.Get("alertstate") == "firing";
    }
    up_copy_stale = up_copy_stale || (s.labels.metric_name() == "up_copy" && model::IsStaleNaN(s.v));
  }
  EXPECT_TRUE(firing_after);
  EXPECT_FALSE(pending_again);
  EXPECT_TRUE(up_copy_stale);
}

TEST_F(ManagerTest, AnInvalidFileAtStartIsAnError) {
  Write("a.yml", "groups:\n  - name: g\n    rules:\n      - record: my-metric\n        expr: up\n        for: 1m\n");
  auto m = Manager::Start(Options());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("invalid field 'for' in recording rule"), std::string::npos);
}

}  // namespace
}  // namespace mytsdb::rules
