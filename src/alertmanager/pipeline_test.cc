// Aggregation groups and the notification pipeline on a manual clock, with
// a recording integration: group_wait, group_interval and repeat_interval,
// grouping by labels and by everything, resolved notifications with and
// without send_resolved, inhibition, silences, mute and active time
// intervals, retries, and no repeat after a restart (the notification log
// read back from disk).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "alertmanager/config.h"
#include "alertmanager/dispatcher.h"
#include "alertmanager/pipeline.h"

namespace mytsdb::alertmanager {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14 22:13:20 UTC, a Tuesday

struct Sent {
  std::string receiver;
  std::string group_key;
  std::vector<std::string> alerts;  // "alertname/status"
};

class Recorder final : public Integration {
 public:
  Recorder(std::vector<Sent>* sent, bool send_resolved, int* failures, std::mutex* mu)
      : sent_(sent), send_resolved_(send_resolved), failures_(failures), mu_(mu) {}
  const char* name() const override { return "webhook"; }
  bool send_resolved() const override { return send_resolved_; }
  Status Notify(const NotifyRequest& r, bool* retry) override {
    // A receiver's integrations notify concurrently, into one record.
    std::lock_guard<std::mutex> lock(*mu_);
    if (*failures_ > 0) {
      --*failures_;
      *retry = true;
      return Status::Unavailable("503");
    }
    Sent s{r.receiver, r.group_key, {}};
    for (const Alert& a : r.alerts) s.alerts.push_back(std::string(a.labels.Get("alertname")) + "/" + a.StatusAt(r.now));
    sent_->push_back(std::move(s));
    return Status::OK();
  }

 private:
  std::vector<Sent>* sent_;
  bool send_resolved_;
  int* failures_;
  std::mutex* mu_;
};

class PipelineTest : public ::testing::Test {
 protected:
  void Load(const std::string& yaml) {
    auto c = LoadConfig(yaml);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    config_ = std::make_unique<Config>(*std::move(c));
    if (!nflog_) {
      auto log = NotificationLog::Open({io::PosixFileSystem(), (dir_ / "nflog").string(), &clock_, absl::Hours(120)});
      ASSERT_TRUE(log.ok());
      nflog_ = std::move(*log);
      auto s = Silences::Open({io::PosixFileSystem(), (dir_ / "silences").string(), &clock_, absl::Hours(120)});
      ASSERT_TRUE(s.ok());
      silences_ = std::move(*s);
    }
    inhibitor_ = std::make_unique<Inhibitor>(config_->inhibit_rules);
    dispatcher_ = std::make_unique<Dispatcher>(config_->route.get());
    Pipeline::Deps deps;
    deps.inhibitor = inhibitor_.get();
    deps.silences = silences_.get();
    deps.nflog = nflog_.get();
    deps.clock = &clock_;
    deps.stop = &stop_;
    deps.sleep = [this](absl::Duration d) {
      clock_.Advance(absl::ToInt64Milliseconds(d));
      return true;
    };
    deps.make_integrations = [this](const Receiver& r) {
      std::vector<ReceiverIntegration> out;
      for (size_t i = 0; i < r.webhook_configs.size(); ++i) {
        out.push_back({std::make_unique<Recorder>(&sent_, r.webhook_configs[i].send_resolved, &failures_, &sent_mu_),
                       static_cast<int>(i)});
      }
      return out;
    };
    pipeline_ = std::make_unique<Pipeline>(*config_, std::move(deps));
  }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("am_pipeline_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  absl::Time Now() const { return absl::FromUnixMillis(clock_.NowMs()); }

  // An alert as the API stores it: started now unless given, ending after
  // the resolve timeout unless resolved.
  void Fire(model::Labels labels, bool resolved = false, int64_t started_ago_s = 0) {
    Alert a;
    a.labels = std::move(labels);
    a.starts_at = Now() - absl::Seconds(started_ago_s);
    a.ends_at = resolved ? Now() : Now() + absl::Minutes(5);
    a.timeout = !resolved;
    a.updated_at = Now();
    inhibitor_->Observe(a);
    dispatcher_->Insert(a, Now());
  }

  // Moves the clock by `seconds`, one second at a time, flushing what is due.
  void Run(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      clock_.Advance(1000);
      for (const Flush& f : dispatcher_->TakeDue(Now())) {
        dispatcher_->Done(f, pipeline_->Run(f, Now() + absl::Seconds(10)));
      }
    }
  }

  // What was sent, one line a notification, sorted (groups flush in no
  // particular order when due at the same time).
  std::string Take() {
    std::vector<std::string> lines;
    for (const Sent& s : sent_) {
      std::string line = s.receiver + " " + s.group_key + " [";
      for (size_t i = 0; i < s.alerts.size(); ++i) line += (i ? " " : "") + s.alerts[i];
      lines.push_back(line + "]\n");
    }
    sent_.clear();
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const std::string& l : lines) out += l;
    return out;
  }

  std::filesystem::path dir_;
  io::ManualClock clock_{kT0};
  StopSignal stop_;
  std::unique_ptr<Config> config_;
  std::unique_ptr<NotificationLog> nflog_;
  std::unique_ptr<Silences> silences_;
  std::unique_ptr<Inhibitor> inhibitor_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Pipeline> pipeline_;
  std::mutex sent_mu_;  // guards sent_ and failures_ while integrations notify
  std::vector<Sent> sent_;
  int failures_ = 0;
};

constexpr const char* kBasic = R"(
route:
  receiver: team
  group_by: [alertname]
  group_wait: 10s
  group_interval: 60s
  repeat_interval: 300s
receivers:
  - name: team
    webhook_configs: [{url: 'http://127.0.0.1:1/'}]
)";

TEST_F(PipelineTest, GroupWaitIntervalAndRepeat) {
  Load(kBasic);
  Fire({{"alertname", "A"}, {"instance", "1"}});
  Run(9);
  EXPECT_EQ(Take(), "");
  Fire({{"alertname", "A"}, {"instance", "2"}});  // joins the group in its wait
  Fire({{"alertname", "B"}});
  Run(1);
  EXPECT_EQ(Take(), "team {}:{alertname=\"A\"} [A/firing A/firing]\n");
  Run(10);
  EXPECT_EQ(Take(), "team {}:{alertname=\"B\"} [B/firing]\n");
  // Nothing new: no notification at the next group interval...
  Run(60);
  EXPECT_EQ(Take(), "");
  // ...until repeat_interval has passed.
  for (int i = 0; i < 5; ++i) {
    Fire({{"alertname", "A"}, {"instance", "1"}});
    Fire({{"alertname", "A"}, {"instance", "2"}});
    Fire({{"alertname", "B"}});
    Run(60);
  }
  EXPECT_EQ(Take(), "team {}:{alertname=\"A\"} [A/firing A/firing]\nteam {}:{alertname=\"B\"} [B/firing]\n");
  // A new alert in a group is sent at the next group interval.
  Fire({{"alertname", "A"}, {"instance", "3"}});
  Fire({{"alertname", "A"}, {"instance", "1"}});
  Fire({{"alertname", "A"}, {"instance", "2"}});
  Run(60);
  EXPECT_EQ(Take(), "team {}:{alertname=\"A\"} [A/firing A/firing A/firing]\n");
}

TEST_F(PipelineTest, OldAlertIsNotHeldForGroupWait) {
  Load(kBasic);
  Fire({{"alertname", "A"}}, false, /*started_ago_s=*/3600);
  Run(1);
  EXPECT_EQ(Take(), "team {}:{alertname=\"A\"} [A/firing]\n");
}

TEST_F(PipelineTest, ResolvedNotifications) {
  Load(R"(
route:
  receiver: both
  group_by: ['...']
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: both
    webhook_configs:
      - url: 'http://127.0.0.1:1/'
      - url: 'http://127.0.0.1:2/'
        send_resolved: false
)");
  Fire({{"alertname", "A"}, {"job", "x"}});
  Run(1);
  EXPECT_EQ(Take(), "both {}:{alertname=\"A\", job=\"x\"} [A/firing]\nboth {}:{alertname=\"A\", job=\"x\"} [A/firing]\n");
  Fire({{"alertname", "A"}, {"job", "x"}}, /*resolved=*/true);
  Run(5);
  // Only the integration with send_resolved hears of it.
  EXPECT_EQ(Take(), "both {}:{alertname=\"A\", job=\"x\"} [A/resolved]\n");
  // The resolved alert left the group: nothing more.
  Run(20);
  EXPECT_EQ(Take(), "");
  EXPECT_EQ(dispatcher_->Groups()[0].alerts.size(), 0u);
}

TEST_F(PipelineTest, InhibitionSilencesAndTimeIntervals) {
  Load(R"(
route:
  receiver: team
  group_by: [alertname, cluster]
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
  routes:
    - matchers: [team=night]
      receiver: team
      mute_time_intervals: [evenings]
    - matchers: [team=day]
      receiver: team
      active_time_intervals: [evenings]
inhibit_rules:
  - source_matchers: [severity=critical]
    target_matchers: [severity=warning]
    equal: [cluster]
receivers:
  - name: team
    webhook_configs: [{url: 'http://127.0.0.1:1/'}]
time_intervals:
  - name: evenings
    time_intervals: [{times: [{start_time: '20:00', end_time: '23:00'}]}]
)");
  Fire({{"alertname", "Down"}, {"cluster", "a"}, {"severity", "critical"}});
  Fire({{"alertname", "Slow"}, {"cluster", "a"}, {"severity", "warning"}});
  Fire({{"alertname", "Slow"}, {"cluster", "b"}, {"severity", "warning"}});
  auto silence = [&] {
    Silence s;
    s.matchers = *ParseMatchers("alertname=Quiet");
    s.starts_at = Now();
    s.ends_at = Now() + absl::Hours(1);
    s.created_by = "t";
    s.comment = "t";
    return s;
  }();
  ASSERT_TRUE(silences_->Set(silence).ok());
  Fire({{"alertname", "Quiet"}});
  // 22:13 UTC: within "evenings", so team=night is muted and team=day sent.
  Fire({{"alertname", "Night"}, {"team", "night"}});
  Fire({{"alertname", "Day"}, {"team", "day"}});
  Run(1);
  EXPECT_EQ(Take(),
            "team {}/{team=\"day\"}:{alertname=\"Day\"} [Day/firing]\n"
            "team {}:{alertname=\"Down\", cluster=\"a\"} [Down/firing]\n"
            "team {}:{alertname=\"Slow\", cluster=\"b\"} [Slow/firing]\n");
  // After 23:00 the roles swap.
  clock_.Advance(47 * 60'000);
  Fire({{"alertname", "Night"}, {"team", "night"}});
  Fire({{"alertname", "Day"}, {"team", "day"}});
  Run(5);
  // (The others were not sent again: their resolve timeout passed.)
  EXPECT_EQ(Take(),
            "team {}/{team=\"night\"}:{alertname=\"Night\"} [Night/firing]\n"
            "team {}:{alertname=\"Down\", cluster=\"a\"} [Down/resolved]\n"
            "team {}:{alertname=\"Slow\", cluster=\"b\"} [Slow/resolved]\n");
}

TEST_F(PipelineTest, RetriesUntilSentThenNoRepeatAfterRestart) {
  Load(kBasic);
  failures_ = 2;
  Fire({{"alertname", "A"}});
  Run(10);
  EXPECT_EQ(Take(), "team {}:{alertname=\"A\"} [A/firing]\n");
  EXPECT_EQ(failures_, 0);
  // A restart: new groups from the same alert, the log read from disk.
  nflog_.reset();
  Load(kBasic);
  Fire({{"alertname", "A"}}, false, /*started_ago_s=*/20);
  Run(120);
  EXPECT_EQ(Take(), "");
}

TEST_F(PipelineTest, FailedFlushKeepsResolvedAlertForTheNextOne) {
  Load(kBasic);
  Fire({{"alertname", "A"}});
  Run(10);
  Take();
  Fire({{"alertname", "A"}}, /*resolved=*/true);
  failures_ = 1000;  // fails until the deadline
  Run(60);
  EXPECT_EQ(Take(), "");
  failures_ = 0;
  Run(60);
  EXPECT_EQ(Take(), "team {}:{alertname=\"A\"} [A/resolved]\n");
}

}  // namespace
}  // namespace mytsdb::alertmanager
