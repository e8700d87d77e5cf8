#include "notifier/notifier.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace mytsdb::notifier {
namespace {

// An Alertmanager stand-in on 127.0.0.1 that keeps the bodies it receives.
class FakeAlertmanager {
 public:
  explicit FakeAlertmanager(int status = 200) {
    server_.Post("/prefix/api/v2/alerts", [this, status](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      bodies_.push_back(req.body);
      res.status = status;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeAlertmanager() {
    server_.stop();
    thread_.join();
  }
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

Alert MakeAlert(int i) {
  return Alert{model::Labels{{"alertname", "A"}, {"i", std::to_string(i)}},
               {{"summary", "s" + std::to_string(i)}},
               1'700'000'000'500,
               1'700'000'100'000,
               "http://x/graph?g0.expr=up&g0.tab=1"};
}

void WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

TEST(NotifierTest, EncodesAlertsAsAlertmanagersApiTakesThem) {
  EXPECT_EQ(EncodeAlerts({MakeAlert(1)}),
            R"([{"labels":{"alertname":"A","i":"1"},"annotations":{"summary":"s1"},)"
            R"("startsAt":"2023-11-14T22:13:20.5Z","endsAt":"2023-11-14T22:15:00Z",)"
            R"("generatorURL":"http://x/graph?g0.expr=up&g0.tab=1"}])");
  EXPECT_EQ((Alertmanager{.host_port = "h:9093", .path_prefix = "/am/"}).Url(), "http://h:9093/am/api/v2/alerts");
  EXPECT_EQ((Alertmanager{.host_port = "h:9093"}).Url(), "http://h:9093/api/v2/alerts");
}

TEST(NotifierTest, SendsBatchesWithExternalLabelsToEveryAlertmanager) {
  FakeAlertmanager a, b(500);
  NotifierOptions options;
  options.alertmanagers = {{.host_port = a.host_port(), .path_prefix = "/prefix"},
                           {.host_port = b.host_port(), .path_prefix = "/prefix"}};
  options.external_labels = {{"region", "eu"}, {"i", "not this"}};
  Notifier n(options);
  std::vector<Alert> alerts;
  for (int i = 0; i < 300; ++i) alerts.push_back(MakeAlert(i));
  n.Send(alerts);
  WaitFor([&] { return a.bodies().size() >= 2 && b.bodies().size() >= 2; });
  n.Stop();
  ASSERT_EQ(a.bodies().size(), 2u);  // 256 + 44
  const std::string first = a.bodies()[0];
  EXPECT_NE(first.find(R"({"alertname":"A","i":"0","region":"eu"})"), std::string::npos) << first.substr(0, 200);
  telemetry::TextWriter w;
  n.WriteMetrics(&w);
  const std::string text = w.text();
  EXPECT_NE(text.find("prometheus_notifications_sent_total{alertmanager=\"http://" + a.host_port() +
                      "/prefix/api/v2/alerts\"} 300"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("prometheus_notifications_errors_total{alertmanager=\"http://" + b.host_port() +
                      "/prefix/api/v2/alerts\"} 300"),
            std::string::npos)
      << text;
}

TEST(NotifierTest, AFullQueueDropsTheOldestAlerts) {
  NotifierOptions options;  // no Alertmanager: what is taken from the queue is dropped
  options.queue_capacity = 10;
  Notifier n(options);
  std::vector<Alert> alerts;
  for (int i = 0; i < 25; ++i) alerts.push_back(MakeAlert(i));
  n.Send(alerts);
  n.Stop();
  telemetry::TextWriter w;
  n.WriteMetrics(&w);
  EXPECT_NE(w.text().find("prometheus_notifications_dropped_total 25"), std::string::npos) << w.text();
  EXPECT_EQ(n.queue_length(), 0u);
}

}  // namespace
}  // namespace mytsdb::notifier
