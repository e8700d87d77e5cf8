// scrape_configs as Prometheus 3 reads them: defaults from global, its
// checks with its messages, and the target labels and URL it builds
// (PopulateLabels), relabeling included.
#include "scrape/scrape_config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "scrape/target.h"

namespace mytsdb::scrape {
namespace {

Result<std::vector<ScrapeConfig>> Load(const std::string& yaml, const std::string& global = "") {
  ScrapeGlobals globals;
  if (!global.empty()) {
    for (const auto& kv : YAML::Load(global)) {
      auto taken = TakeGlobalKey(kv.first.as<std::string>(), kv.second, &globals);
      if (!taken.ok()) return taken.status();
      EXPECT_TRUE(*taken) << kv.first.as<std::string>();
    }
  }
  return ParseScrapeConfigs(YAML::Load(yaml), globals, "/etc/prometheus");
}

TEST(ScrapeConfigTest, TakesPrometheussDefaults) {
  auto configs = Load("- job_name: node\n  static_configs: [{targets: ['localhost:9100']}]\n");
  ASSERT_TRUE(configs.ok()) << configs.status().ToString();
  const ScrapeConfig& c = (*configs)[0];
  EXPECT_EQ(c.scrape_interval_ms, 60'000);
  EXPECT_EQ(c.scrape_timeout_ms, 10'000);
  EXPECT_EQ(c.metrics_path, "/metrics");
  EXPECT_EQ(c.scheme, "http");
  EXPECT_TRUE(c.honor_timestamps);
  EXPECT_FALSE(c.honor_labels);
  EXPECT_TRUE(c.enable_compression);
  EXPECT_EQ(c.scrape_protocols,
            (std::vector<std::string>{"OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0",
                                      "PrometheusText0.0.4"}));
  ASSERT_EQ(c.static_configs.size(), 1u);
  EXPECT_EQ(c.static_configs[0].targets, std::vector<std::string>{"localhost:9100"});

  // The global section fills what a job leaves out; a short interval caps
  // the default timeout.
  configs = Load("- job_name: a\n- job_name: b\n  scrape_interval: 5s\n- job_name: c\n  sample_limit: 7\n",
                 "scrape_interval: 15s\nscrape_timeout: 12s\nsample_limit: 100\nbody_size_limit: 10MB\n");
  ASSERT_TRUE(configs.ok()) << configs.status().ToString();
  EXPECT_EQ((*configs)[0].scrape_interval_ms, 15'000);
  EXPECT_EQ((*configs)[0].scrape_timeout_ms, 12'000);
  EXPECT_EQ((*configs)[0].sample_limit, 100u);
  EXPECT_EQ((*configs)[0].body_size_limit, 10u << 20);
  EXPECT_EQ((*configs)[1].scrape_timeout_ms, 5'000);
  EXPECT_EQ((*configs)[2].sample_limit, 7u);
}

TEST(ScrapeConfigTest, ReadsEveryField) {
  auto configs = Load(R"(
- job_name: full
  scrape_interval: 30s
  scrape_timeout: 20s
  scrape_protocols: [PrometheusText0.0.4]
  fallback_scrape_protocol: PrometheusText0.0.4
  metrics_path: /probe
  scheme: https
  params: {module: [http_2xx, other]}
  honor_labels: true
  honor_timestamps: false
  enable_compression: false
  basic_auth: {username: u, password_file: secrets/p}
  tls_config: {ca_file: ca.pem, insecure_skip_verify: true}
  label_limit: 30
  label_name_length_limit: 100
  label_value_length_limit: 200
  relabel_configs:
    - source_labels: [__address__]
      target_label: __param_target
  metric_relabel_configs:
    - action: labeldrop
      regex: tmp_.*
  file_sd_configs:
    - files: [targets/*.json]
      refresh_interval: 1m
  http_sd_configs:
    - url: http://127.0.0.1:8000/sd
      authorization: {credentials: token}
)");
  ASSERT_TRUE(configs.ok()) << configs.status().ToString();
  const ScrapeConfig& c = (*configs)[0];
  EXPECT_EQ(c.scrape_timeout_ms, 20'000);
  EXPECT_EQ(c.scrape_protocols, std::vector<std::string>{"PrometheusText0.0.4"});
  EXPECT_EQ(c.fallback_scrape_protocol, "PrometheusText0.0.4");
  EXPECT_EQ(c.params.at("module"), (std::vector<std::string>{"http_2xx", "other"}));
  EXPECT_TRUE(c.honor_labels);
  EXPECT_FALSE(c.honor_timestamps);
  EXPECT_FALSE(c.enable_compression);
  EXPECT_EQ(c.http.basic_auth_password_file, "/etc/prometheus/secrets/p");
  EXPECT_EQ(c.http.tls.ca_file, "/etc/prometheus/ca.pem");
  EXPECT_TRUE(c.http.tls.insecure_skip_verify);
  EXPECT_EQ(c.label_limit, 30u);
  EXPECT_EQ(c.relabel_configs.size(), 1u);
  EXPECT_EQ(c.metric_relabel_configs.size(), 1u);
  ASSERT_EQ(c.file_sd_configs.size(), 1u);
  EXPECT_EQ(c.file_sd_configs[0].files, std::vector<std::string>{"/etc/prometheus/targets/*.json"});
  EXPECT_EQ(c.file_sd_configs[0].refresh_interval_ms, 60'000);
  ASSERT_EQ(c.http_sd_configs.size(), 1u);
  EXPECT_EQ(c.http_sd_configs[0].http.authorization_type, "Bearer");
}

TEST(ScrapeConfigTest, RefusesWhatPrometheusRefuses) {
  for (const auto& [yaml, error] : std::vector<std::pair<std::string, std::string>>{
           {"- scrape_interval: 1s\n", "job_name is empty"},
           {"- job_name: a\n- job_name: a\n", "found multiple scrape configs with job name \"a\""},
           {"- job_name: a\n  scrape_interval: 5s\n  scrape_timeout: 10s\n",
            "scrape timeout greater than scrape interval for scrape config with job name \"a\""},
           {"- job_name: a\n  scrape_protocols: [Foo]\n", "unknown scrape protocol Foo"},
           {"- job_name: a\n  scrape_protocols: []\n", "scrape_protocols cannot be empty"},
           {"- job_name: a\n  scrape_protocols: [PrometheusText0.0.4, prometheustext0.0.4]\n",
            "duplicated protocol in scrape_protocols"},
           {"- job_name: a\n  scrape_protocols: [PrometheusProto]\n", "MyTSDB does not parse PrometheusProto"},
           {"- job_name: a\n  fallback_scrape_protocol: Foo\n", "invalid fallback_scrape_protocol"},
           {"- job_name: a\n  static_configs: [{targets: ['http://host:9100']}]\n",
            "\"http://host:9100\" is not a valid hostname"},
           {"- job_name: a\n  scheme: ftp\n", "scheme \"ftp\""},
           {"- job_name: a\n  scrape_interval: 1x\n", "not a valid duration string"},
           {"- job_name: a\n  sample_limit: -1\n", "is not a non-negative integer"},
           {"- job_name: a\n  body_size_limit: 10XB\n", "invalid size"},
           {"- job_name: a\n  kubernetes_sd_configs: [{role: pod}]\n",
            "kubernetes_sd_configs is not supported by MyTSDB"},
           {"- job_name: a\n  scrape_intervall: 1s\n", "field scrape_intervall not found in type config.ScrapeConfig"},
           {"- job_name: a\n  basic_auth: {username: u}\n  bearer_token: t\n", "at most one of basic_auth"},
           {"- job_name: a\n  file_sd_configs: [{files: []}]\n", "must contain at least one path name"},
           {"- job_name: a\n  file_sd_configs: [{files: [targets.txt]}]\n",
            "path name \"targets.txt\" is not valid for file discovery"},
           {"- job_name: a\n  http_sd_configs: [{refresh_interval: 1m}]\n", "URL is missing"},
           {"- job_name: a\n  http_sd_configs: [{url: 'ftp://x'}]\n", "URL scheme must be 'http' or 'https'"},
           {"- job_name: a\n  relabel_configs: [{action: nope}]\n", "nope"},
           {"- job_name: a\n  static_configs: [{targets: [a:1], lables: {}}]\n", "field lables not found"},
           {"- job_name: a\n  native_histogram_bucket_limit: 10\n", "not supported by MyTSDB's scraping"},
       }) {
    auto configs = Load(yaml);
    ASSERT_FALSE(configs.ok()) << yaml;
    EXPECT_NE(configs.status().message().find(error), std::string::npos) << yaml << " -> " << configs.status().ToString();
  }
  EXPECT_FALSE(Load("- job_name: a\n", "scrape_interval: 5s\nscrape_timeout: 10s\n").ok());
  // Prometheus's pattern for file names: one star-led part, stars after it allowed.
  EXPECT_TRUE(Load("- job_name: a\n  file_sd_configs: [{files: ['sd/*-*.json', 'x.YML']}]\n").ok());
  EXPECT_FALSE(Load("- job_name: a\n  file_sd_configs: [{files: ['*/x.json']}]\n").ok());
  // A URL in a static target is fine when relabeling may turn it into an
  // address (as blackbox configs do).
  EXPECT_TRUE(Load("- job_name: a\n  static_configs: [{targets: ['http://x']}]\n  relabel_configs:\n"
                   "    - {source_labels: [__address__], target_label: __param_target}\n"
                   "    - {target_label: __address__, replacement: 'blackbox:9115'}\n")
                  .ok());
}

TEST(ScrapeConfigTest, ReadsSizesAsBase2Bytes) {
  EXPECT_EQ(*ParseBase2Bytes("512"), 512u);
  EXPECT_EQ(*ParseBase2Bytes("512B"), 512u);
  EXPECT_EQ(*ParseBase2Bytes("1KB"), 1024u);
  EXPECT_EQ(*ParseBase2Bytes("1KiB"), 1024u);
  EXPECT_EQ(*ParseBase2Bytes("100MB"), 100u << 20);
  EXPECT_EQ(*ParseBase2Bytes("2GB"), 2ull << 30);
  for (const char* bad : {"", "MB", "1.5MB", "10XB", "-1"}) EXPECT_FALSE(ParseBase2Bytes(bad).ok()) << bad;
}

TEST(TargetTest, BuildsLabelsAsPopulateLabelsDoes) {
  auto configs = Load(R"(
- job_name: blackbox
  scrape_interval: 15s
  metrics_path: /probe
  params: {module: [http_2xx]}
  static_configs:
    - targets: ['example.org', 'drop.me']
      labels: {env: prod, __meta_x: y}
  relabel_configs:
    - {source_labels: [__address__], regex: drop.me, action: drop}
    - {source_labels: [__address__], target_label: __param_target}
    - {source_labels: [__param_target], target_label: instance}
    - {target_label: __address__, replacement: '127.0.0.1:9115'}
)");
  ASSERT_TRUE(configs.ok()) << configs.status().ToString();
  const ScrapeConfig& c = (*configs)[0];
  const auto& group = c.static_configs[0];
  const LabelMap discovered = DiscoveredLabels(c, {{"__address__", group.targets[0]}}, group.labels);
  EXPECT_EQ(discovered, (LabelMap{{"__address__", "example.org"},
                                  {"__meta_x", "y"},
                                  {"__metrics_path__", "/probe"},
                                  {"__param_module", "http_2xx"},
                                  {"__scheme__", "http"},
                                  {"__scrape_interval__", "15s"},
                                  {"__scrape_timeout__", "10s"},
                                  {"env", "prod"},
                                  {"job", "blackbox"}}));
  auto labels = TargetLabels(c, discovered);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  ASSERT_TRUE(labels->has_value());
  EXPECT_EQ(PublicLabels(**labels).ToString(), "{env=\"prod\", instance=\"example.org\", job=\"blackbox\"}");
  EXPECT_EQ(TargetUrl(c, **labels), "http://127.0.0.1:9115/probe?module=http_2xx&target=example.org");
  EXPECT_FALSE((**labels).count("__meta_x"));

  auto dropped = TargetLabels(c, DiscoveredLabels(c, {{"__address__", "drop.me"}}, group.labels));
  ASSERT_TRUE(dropped.ok());
  EXPECT_FALSE(dropped->has_value());

  // instance defaults to the address; errors drop the target with a reason.
  auto plain = Load("- job_name: n\n  static_configs: [{targets: ['h:1']}]\n");
  const ScrapeConfig& p = (*plain)[0];
  auto simple = TargetLabels(p, DiscoveredLabels(p, {{"__address__", "h:1"}}, {}));
  ASSERT_TRUE(simple.ok() && simple->has_value());
  EXPECT_EQ(PublicLabels(**simple).ToString(), "{instance=\"h:1\", job=\"n\"}");
  EXPECT_EQ(TargetUrl(p, **simple), "http://h:1/metrics");
  EXPECT_EQ(TargetLabels(p, DiscoveredLabels(p, {{"__address__", ""}}, {})).status().message(), "no address");
  EXPECT_EQ(TargetLabels(p, DiscoveredLabels(p, {{"__address__", "a:1"}}, {{"__scrape_timeout__", "2m"}}))
                .status()
                .message(),
            "scrape timeout cannot be greater than scrape interval (\"2m\" > \"1m\")");
}

TEST(TargetTest, SpreadsScrapesOverTheIntervalInAbsoluteTime) {
  // The offset within the interval does not depend on when it is asked.
  for (int64_t now : {1'000'000'007LL, 1'000'004'321LL, 1'000'059'999LL}) {
    const int64_t first = FirstScrapeTime(12345, 0, 15'000, now);
    EXPECT_GE(first, now);
    EXPECT_LE(first - now, 15'000);
    EXPECT_EQ(first % 15'000, 12345 % 15'000) << now;
  }
  EXPECT_NE(FirstScrapeTime(1, 0, 15'000, 0) % 15'000, FirstScrapeTime(2, 0, 15'000, 0) % 15'000);
  EXPECT_NE(FirstScrapeTime(1, 0, 15'000, 0), FirstScrapeTime(1, 7, 15'000, 0));
}

}  // namespace
}  // namespace mytsdb::scrape
