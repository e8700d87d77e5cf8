// The whole Alertmanager on its threads (run under ThreadSanitizer by
// make test): alerts posted from several threads while the API reads
// alerts and groups, silences change and the configuration reloads; every
// group is notified, nothing twice, and the state files read back.
#include "alertmanager/alertmanager.h"

#include <absl/time/clock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

namespace mytsdb::alertmanager {
namespace {

class Counter final : public Integration {
 public:
  Counter(std::mutex* mu, std::multiset<std::string>* sent) : mu_(mu), sent_(sent) {}
  const char* name() const override { return "webhook"; }
  bool send_resolved() const override { return true; }
  Status Notify(const NotifyRequest& r, bool*) override {
    std::lock_guard lock(*mu_);
    sent_->insert(r.group_key + " " + std::to_string(r.alerts.size()));
    return Status::OK();
  }

 private:
  std::mutex* mu_;
  std::multiset<std::string>* sent_;
};

constexpr const char* kConfig = R"(
route:
  receiver: r
  group_by: [alertname]
  group_wait: 200ms
  group_interval: 300ms
  repeat_interval: 1h
receivers: [{name: r}]
)";

TEST(AlertmanagerTest, ConcurrentAlertsApiSilencesAndReloads) {
  const auto dir = std::filesystem::temp_directory_path() / ("am_whole_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "am.yml") << kConfig;
  std::mutex mu;
  std::multiset<std::string> sent;
  AlertmanagerOptions options;
  options.config_file = (dir / "am.yml").string();
  options.data_dir = (dir / "data").string();
  options.make_integrations = [&](const Receiver&) {
    std::vector<ReceiverIntegration> out;
    out.push_back({std::make_unique<Counter>(&mu, &sent), 0});
    return out;
  };
  {
    auto am = Alertmanager::Start(options);
    ASSERT_TRUE(am.ok()) << am.status().ToString();
    std::atomic<bool> done{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          Alert a;
          a.labels = model::Labels{{"alertname", "A" + std::to_string(t)}, {"i", std::to_string(i % 10)}};
          ASSERT_TRUE((*am)->PutAlerts({a}).ok());
        }
      });
    }
    threads.emplace_back([&] {
      while (!done) {
        (void)(*am)->Alerts();
        (void)(*am)->Groups();
        telemetry::TextWriter w;
        (*am)->WriteMetrics(&w);
      }
    });
    threads.emplace_back([&] {
      for (int i = 0; i < 10 && !done; ++i) {
        Silence s;
        s.matchers = *ParseMatchers("alertname=Silenced" + std::to_string(i));
        s.starts_at = absl::Now();
        s.ends_at = absl::Now() + absl::Hours(1);
        auto id = (*am)->silences().Set(s);
        ASSERT_TRUE(id.ok());
        ASSERT_TRUE((*am)->silences().Expire(*id).ok());
        ASSERT_TRUE((*am)->Reload().ok());
      }
    });
    for (size_t i = 0; i < 4; ++i) threads[i].join();
    // Every group gets its first notification within a group wait or two.
    for (int i = 0; i < 100; ++i) {
      {
        std::lock_guard lock(mu);
        std::set<std::string> groups;
        for (const std::string& s : sent) groups.insert(s.substr(0, s.find(' ')));
        if (groups.size() == 4) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    done = true;
    for (size_t i = 4; i < threads.size(); ++i) threads[i].join();
    (*am)->FlushDueForTest();
    std::lock_guard lock(mu);
    std::set<std::string> groups;
    for (const std::string& s : sent) groups.insert(s.substr(0, s.find(' ')));
    EXPECT_EQ(groups, (std::set<std::string>{"{}:{alertname=\"A0\"}", "{}:{alertname=\"A1\"}", "{}:{alertname=\"A2\"}",
                                             "{}:{alertname=\"A3\"}"}));
    // The last notification of each group holds its ten alerts.
    EXPECT_EQ(sent.count("{}:{alertname=\"A0\"} 10") + sent.count("{}:{alertname=\"A1\"} 10") +
                  sent.count("{}:{alertname=\"A2\"} 10") + sent.count("{}:{alertname=\"A3\"} 10"),
              4u);
    EXPECT_EQ((*am)->silences().List().size(), 10u);
    (*am)->Stop();
  }
  // The state files read back: alerts and silences.
  auto again = Alertmanager::Start(options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->Alerts().size(), 40u);
  EXPECT_EQ((*again)->silences().List().size(), 10u);
  (*again)->Stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mytsdb::alertmanager
