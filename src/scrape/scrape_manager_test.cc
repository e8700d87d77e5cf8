// The pools against a target served on 127.0.0.1: static and file
// discovery (a file changed while running), target_limit, dropped targets,
// and reloads that keep unchanged targets scraping without staleness
// while a removed job's series go stale.
#include "scrape/scrape_manager.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "model/sample.h"

namespace mytsdb::scrape {
namespace {

class CountingAppender : public Appender {
 public:
  Status Append(std::span<const head::SeriesSamples> batch, std::span<const head::MetricMetadata>,
                storage::StorageAppendResult*) override {
    std::lock_guard lock(mu);
    for (const auto& s : batch) {
      for (const auto& sample : s.samples) {
        auto& seen = series[s.labels->ToString()];
        ++seen.samples;
        if (model::IsStaleNaN(sample.value)) ++seen.stale;
      }
    }
    return Status::OK();
  }
  struct Seen {
    int samples = 0, stale = 0;
  };
  Seen Get(const std::string& series_name) {
    std::lock_guard lock(mu);
    return series[series_name];
  }
  std::mutex mu;
  std::map<std::string, Seen> series;
};

class ScrapeManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("a 1\n", "text/plain; version=0.0.4");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    dir_ = std::filesystem::temp_directory_path() / ("scrape_manager_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }

  std::vector<ScrapeConfig> Configs(const std::string& yaml) {
    auto configs = ParseScrapeConfigs(YAML::Load(yaml), ScrapeGlobals{}, dir_.string());
    EXPECT_TRUE(configs.ok()) << configs.status().ToString();
    return configs.ok() ? *configs : std::vector<ScrapeConfig>{};
  }
  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string Up(const std::string& job, const std::string& instance) {
    return "up{instance=\"" + instance + "\", job=\"" + job + "\"}";
  }
  template <typename F>
  bool WaitFor(F condition, int ms = 5000) {
    for (int i = 0; i < ms / 10; ++i) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::filesystem::path dir_;
  CountingAppender appender_;
};

TEST_F(ScrapeManagerTest, FollowsFileDiscoveryAndKeepsDroppedTargets) {
  std::ofstream(dir_ / "targets.json") << R"([{"targets": [")" + Address() + R"("], "labels": {"env": "a"}}])";
  ScrapeManager manager(&appender_, {"MyTSDB/test", 0, 50});
  manager.ApplyConfig(Configs(
      "- job_name: files\n  scrape_interval: 100ms\n  scrape_timeout: 100ms\n"
      "  file_sd_configs: [{files: ['*.json']}]\n"
      "  relabel_configs: [{source_labels: [env], regex: drop, action: drop}]\n"));
  ASSERT_TRUE(WaitFor([&] { return appender_.Get("up{env=\"a\", instance=\"" + Address() + "\", job=\"files\"}").samples > 0; }));
  auto active = manager.ActiveTargets();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].discovered_labels.at("__meta_filepath"), (dir_ / "targets.json").string());
  EXPECT_EQ(manager.PoolNames(), std::vector<std::string>{"files"});

  // The file changes: the target is relabeled away, and kept as dropped.
  std::ofstream(dir_ / "targets.json") << R"([{"targets": [")" + Address() + R"("], "labels": {"env": "drop"}}])";
  ASSERT_TRUE(WaitFor([&] { return manager.ActiveTargets().empty(); }));
  EXPECT_EQ(manager.DroppedTargetCounts().at("files"), 1u);
  ASSERT_EQ(manager.DroppedTargets().size(), 1u);
  EXPECT_EQ(manager.DroppedTargets()[0].discovered_labels.at("env"), "drop");
  // A file that no longer parses keeps what it held.
  std::ofstream(dir_ / "targets.json") << "[{\"targets\": [";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(manager.DroppedTargetCounts().at("files"), 1u);
  // The removed target's series go stale after two intervals.
  EXPECT_TRUE(WaitFor([&] { return appender_.Get("a{env=\"a\", instance=\"" + Address() + "\", job=\"files\"}").stale == 1; }));
}

TEST_F(ScrapeManagerTest, AReloadKeepsWhatDidNotChange) {
  const std::string kept = "- job_name: kept\n  scrape_interval: 100ms\n  scrape_timeout: 100ms\n"
                           "  static_configs: [{targets: ['" + Address() + "']}]\n";
  const std::string gone = "- job_name: gone\n  scrape_interval: 100ms\n  scrape_timeout: 100ms\n"
                           "  static_configs: [{targets: ['" + Address() + "']}]\n";
  ScrapeManager manager(&appender_, {"MyTSDB/test", 0, 50});
  manager.ApplyConfig(Configs(kept + gone));
  ASSERT_TRUE(WaitFor([&] { return appender_.Get(Up("kept", Address())).samples >= 2 && appender_.Get(Up("gone", Address())).samples >= 2; }));
  manager.ApplyConfig(Configs(kept));
  EXPECT_EQ(manager.PoolNames(), std::vector<std::string>{"kept"});
  ASSERT_TRUE(WaitFor([&] { return appender_.Get(Up("gone", Address())).stale == 1; }));
  const int before = appender_.Get(Up("kept", Address())).samples;
  ASSERT_TRUE(WaitFor([&] { return appender_.Get(Up("kept", Address())).samples >= before + 3; }));
  EXPECT_EQ(appender_.Get(Up("kept", Address())).stale, 0);
  EXPECT_EQ(appender_.Get("a{instance=\"" + Address() + "\", job=\"kept\"}").stale, 0);
}

TEST_F(ScrapeManagerTest, TargetLimitFailsEveryTargetOfThePool) {
  ScrapeManager manager(&appender_, {"MyTSDB/test", 0, 50});
  manager.ApplyConfig(Configs("- job_name: many\n  scrape_interval: 100ms\n  scrape_timeout: 100ms\n  target_limit: 1\n"
                              "  static_configs: [{targets: ['" + Address() + "', 'localhost:" + std::to_string(port_) + "']}]\n"));
  ASSERT_TRUE(WaitFor([&] {
    auto active = manager.ActiveTargets();
    return active.size() == 2 && active[0].health == Health::kDown && active[1].health == Health::kDown;
  }));
  EXPECT_EQ(manager.ActiveTargets()[0].last_error, "target_limit exceeded (number of targets: 2, limit: 1)");
  EXPECT_EQ(appender_.Get("a{instance=\"" + Address() + "\", job=\"many\"}").samples, 0);
}

}  // namespace
}  // namespace mytsdb::scrape
