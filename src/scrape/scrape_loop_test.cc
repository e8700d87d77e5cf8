// One target's scrapes against an HTTP server on 127.0.0.1: the request as
// Prometheus sends it, formats chosen by Content-Type, gzip, and the
// failures (a 500, a timeout, a body past the limit, a refused
// connection, an unknown Content-Type) each marking the target down with
// Prometheus's error and appending nothing of the scrape but staleness and
// the report.
#include "scrape/scrape_loop.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <thread>

#include "model/sample.h"

namespace mytsdb::scrape {
namespace {

class RecordingAppender : public Appender {
 public:
  Status Append(std::span<const head::SeriesSamples> batch, std::span<const head::MetricMetadata> metadata,
                storage::StorageAppendResult*) override {
    std::lock_guard lock(mu);
    appends.emplace_back();
    for (const auto& s : batch) {
      for (const auto& sample : s.samples) appends.back()[s.labels->ToString()] = sample.value;
    }
    metadata_count += metadata.size();
    return fail ? Status::IOError("disk full") : Status::OK();
  }
  size_t count() {
    std::lock_guard lock(mu);
    return appends.size();
  }
  std::map<std::string, double> Last() {
    std::lock_guard lock(mu);
    return appends.empty() ? std::map<std::string, double>{} : appends.back();
  }
  std::mutex mu;
  std::vector<std::map<std::string, double>> appends;
  size_t metadata_count = 0;
  bool fail = false;
};

class ScrapeLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      if (metrics_down_) {
        res.status = 503;
        return;
      }
      accept_ = req.get_header_value("Accept");
      accept_encoding_ = req.get_header_value("Accept-Encoding");
      timeout_header_ = req.get_header_value("X-Prometheus-Scrape-Timeout-Seconds");
      res.set_content("# TYPE a counter\na{x=\"1\"} 1\nb 2\n", "text/plain; version=0.0.4");
    });
    server_.Get("/om", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("# TYPE a counter\na_total 3 # {id=\"e\"} 1\n# EOF\n",
                      "application/openmetrics-text; version=1.0.0; charset=utf-8");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(100'000, '#') + "\n", "text/plain");
    });
    server_.Get("/fail", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("oops", "text/plain");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      res.set_content("a 1\n", "text/plain");
    });
    server_.Get("/html", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("a 1\n", "text/html");
    });
    server_.Get("/bad", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("a 1\nb{ 2\n", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  std::unique_ptr<ScrapeLoop> Loop(const std::string& path, const std::string& extra = "") {
    auto configs = ParseScrapeConfigs(
        YAML::Load("- job_name: j\n  scrape_interval: 10s\n  scrape_timeout: 1s\n  metrics_path: " + path + "\n" + extra),
        ScrapeGlobals{}, "");
    EXPECT_TRUE(configs.ok()) << configs.status().ToString();
    auto config = std::make_shared<const ScrapeConfig>((*configs)[0]);
    const std::string address = "127.0.0.1:" + std::to_string(port_);
    auto labels = TargetLabels(*config, DiscoveredLabels(*config, {{"__address__", address}}, {}));
    EXPECT_TRUE(labels.ok() && labels->has_value());
    return std::make_unique<ScrapeLoop>(ScrapeLoop::Options{config, **labels, {}, &appender_, "MyTSDB/test", 0});
  }

  std::string Series(const std::string& name) {
    return name + "{instance=\"127.0.0.1:" + std::to_string(port_) + "\", job=\"j\"}";
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::string accept_, accept_encoding_, timeout_header_;
  std::atomic<bool> metrics_down_{false};
  RecordingAppender appender_;
};

TEST_F(ScrapeLoopTest, ScrapesAsPrometheusAsks) {
  auto loop = Loop("/metrics");
  loop->ScrapeAt(1000);
  EXPECT_EQ(accept_,
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
            "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
            "text/plain;version=0.0.4;q=0.3,*/*;q=0.2");
  EXPECT_EQ(accept_encoding_, "gzip");
  EXPECT_EQ(timeout_header_, "1");
  auto last = appender_.Last();
  EXPECT_EQ(last.at(Series("up")), 1);
  EXPECT_EQ(last.at("a{instance=\"127.0.0.1:" + std::to_string(port_) + "\", job=\"j\", x=\"1\"}"), 1);
  EXPECT_EQ(last.at(Series("b")), 2);
  EXPECT_EQ(last.at(Series("scrape_samples_scraped")), 2);
  EXPECT_EQ(appender_.metadata_count, 1u);
  const TargetStatus status = loop->status();
  EXPECT_EQ(status.health, Health::kUp);
  EXPECT_EQ(status.last_error, "");
  EXPECT_EQ(status.last_scrape_ms, 1000);
  EXPECT_EQ(status.scrape_url, "http://127.0.0.1:" + std::to_string(port_) + "/metrics");

  auto om = Loop("/om");
  om->ScrapeAt(2000);
  EXPECT_EQ(appender_.Last().at(Series("a_total")), 3);
}

TEST_F(ScrapeLoopTest, RelabelingSetsATargetsIntervalAndTimeout) {
  auto loop = Loop("/metrics",
                   "  relabel_configs:\n    - {target_label: __scrape_interval__, replacement: 5s}\n"
                   "    - {target_label: __scrape_timeout__, replacement: 2s}\n");
  EXPECT_EQ(loop->status().scrape_interval_ms, 5000);
  EXPECT_EQ(loop->status().scrape_timeout_ms, 2000);
  loop->ScrapeAt(1000);
  EXPECT_EQ(timeout_header_, "2");
}

TEST_F(ScrapeLoopTest, AFailedScrapeAppendsOnlyStalenessAndTheReport) {
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  for (const auto& [path, extra, error] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"/fail", "", "server returned HTTP status 500 Internal Server Error"},
           {"/slow", "", "Get \"" + url + "/slow\": context deadline exceeded"},
           {"/big", "  body_size_limit: 1KB\n", "body size limit exceeded"},
           {"/html", "",
            "received unsupported Content-Type \"text/html\" and no fallback_scrape_protocol specified for target"},
           {"/bad", "", "line 2: expected label name"},
       }) {
    auto loop = Loop(path, extra);
    loop->ScrapeAt(1000);
    const TargetStatus status = loop->status();
    EXPECT_EQ(status.health, Health::kDown) << path;
    EXPECT_NE(status.last_error.find(error), std::string::npos) << path << ": " << status.last_error;
    auto last = appender_.Last();
    EXPECT_EQ(last.at(Series("up")), 0) << path;
    EXPECT_EQ(last.size(), 5u) << path;  // the report series only
  }
  // With a fallback protocol, an unknown Content-Type is parsed.
  auto html = Loop("/html", "  fallback_scrape_protocol: PrometheusText0.0.4\n");
  html->ScrapeAt(1000);
  EXPECT_EQ(html->status().health, Health::kUp);
  EXPECT_EQ(appender_.Last().at(Series("a")), 1);

  // A scrape that fails after one that worked marks its series stale.
  auto loop = Loop("/metrics");
  loop->ScrapeAt(1000);
  metrics_down_ = true;
  loop->ScrapeAt(2000);
  EXPECT_TRUE(model::IsStaleNaN(appender_.Last().at(Series("b"))));
}

TEST_F(ScrapeLoopTest, ARefusedConnectionIsAnError) {
  auto configs = ParseScrapeConfigs(YAML::Load("- job_name: j\n  scrape_timeout: 1s\n"), ScrapeGlobals{}, "");
  auto config = std::make_shared<const ScrapeConfig>((*configs)[0]);
  // Port 1 of the loopback: a privileged port nothing here listens on.
  auto labels = TargetLabels(*config, DiscoveredLabels(*config, {{"__address__", "127.0.0.1:1"}}, {}));
  ScrapeLoop loop({config, **labels, {}, &appender_, "MyTSDB/test", 0});
  loop.ScrapeAt(1000);
  EXPECT_EQ(loop.status().health, Health::kDown);
  EXPECT_NE(loop.status().last_error.find("connection refused"), std::string::npos) << loop.status().last_error;
}

TEST_F(ScrapeLoopTest, RunsOnItsOwnThreadAndStopsWithoutStalenessAtShutdown) {
  auto configs = ParseScrapeConfigs(YAML::Load("- job_name: j\n  scrape_interval: 100ms\n  scrape_timeout: 100ms\n"),
                                    ScrapeGlobals{}, "");
  auto config = std::make_shared<const ScrapeConfig>((*configs)[0]);
  auto labels = TargetLabels(*config, DiscoveredLabels(*config, {{"__address__", "127.0.0.1:" + std::to_string(port_)}}, {}));
  ScrapeLoop loop({config, **labels, {}, &appender_, "MyTSDB/test", 0});
  loop.Start();
  for (int i = 0; i < 100 && appender_.count() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  loop.Shutdown();
  std::lock_guard lock(appender_.mu);
  ASSERT_GE(appender_.appends.size(), 3u);
  // Scrapes fall on the interval's grid, 100 ms apart.
  EXPECT_EQ(appender_.appends.back().at(Series("up")), 1);
  for (const auto& a : appender_.appends) EXPECT_FALSE(model::IsStaleNaN(a.begin()->second));
}

TEST_F(ScrapeLoopTest, ARetiredTargetGoesStaleAfterTwoIntervals) {
  auto configs = ParseScrapeConfigs(YAML::Load("- job_name: j\n  scrape_interval: 100ms\n  scrape_timeout: 100ms\n"),
                                    ScrapeGlobals{}, "");
  auto config = std::make_shared<const ScrapeConfig>((*configs)[0]);
  auto labels = TargetLabels(*config, DiscoveredLabels(*config, {{"__address__", "127.0.0.1:" + std::to_string(port_)}}, {}));
  ScrapeLoop loop({config, **labels, {}, &appender_, "MyTSDB/test", 0});
  loop.Start();
  for (int i = 0; i < 100 && appender_.count() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  loop.Retire();
  for (int i = 0; i < 100 && !loop.done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(loop.done());
  auto last = appender_.Last();
  EXPECT_TRUE(model::IsStaleNaN(last.at(Series("b"))));
  EXPECT_TRUE(model::IsStaleNaN(last.at(Series("up"))));
}

}  // namespace
}  // namespace mytsdb::scrape
