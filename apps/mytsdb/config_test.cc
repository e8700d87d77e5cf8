#include "config.h"
#include "config_flags.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace mytsdb::app {
namespace {

TEST(ConfigTest, DurationsAndSizes) {
  EXPECT_EQ(*ParseDuration("1s"), 1000);
  EXPECT_EQ(*ParseDuration("1h30m"), 5400000);
  EXPECT_EQ(*ParseDuration("250ms"), 250);
  EXPECT_EQ(*ParseDuration("100y"), 100 * 365 * 86'400'000LL);
  EXPECT_FALSE(ParseDuration("5").ok());
  EXPECT_FALSE(ParseDuration("5x").ok());
  EXPECT_EQ(*ParseBytes("32MiB"), 32u << 20);
  EXPECT_EQ(*ParseBytes("1000"), 1000u);
  EXPECT_FALSE(ParseBytes("lots").ok());
  // Overflow is an error, never a wrapped-around value.
  EXPECT_FALSE(ParseDuration("99999999999999999999s").ok());
  EXPECT_FALSE(ParseDuration("9223372036854775807w").ok());
  EXPECT_FALSE(ParseDuration("9223372036854775807ms1ms").ok());
  EXPECT_FALSE(ParseBytes("99999999999999999999").ok());
  EXPECT_FALSE(ParseBytes("18446744073709551615GiB").ok());
  std::string host;
  int port = 0;
  EXPECT_TRUE(ParseListen("127.0.0.1:9663", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9663);
  EXPECT_TRUE(ParseListen("[::1]:0", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(ParseListen("localhost", &host, &port).ok());
  EXPECT_FALSE(ParseListen("a:70000", &host, &port).ok());
}

TEST(ConfigTest, FileOverridesDefaultsAndRejectsUnknownKeys) {
  auto path = std::filesystem::temp_directory_path() / "mytsdb_config_test.yml";
  {
    std::ofstream f(path);
    f << "data_dir: /tmp/x\nwal:\n  fsync: always\n  segment_size: 1MiB\n"
      << "ingest:\n  max_future: 1h\n"
      << "storage:\n  max_block_duration: 6h\n  cold_url: s3://bucket/tsdb\n"
      << "  s3:\n    endpoint: http://127.0.0.1:9000\n    region: eu-west-3\n"
      << "    access_key_id: AK\n    secret_access_key: SK\n    request_timeout: 5s\n"
      << "    max_attempts: 3\n"
      << "cluster:\n  writer: w1\n  compactor: true\n"
      << "  writers: \" http://a:9663/, http://b:9663 ,\"\n  writer_timeout: 5s\nread_only: true\n"
      << "query:\n  timeout: 30s\n  lookback_delta: 10m\n  max_samples: 1000\n"
      << "sql:\n  memory_limit: 2GiB\n  threads: 3\n  timeout: 45s\n"
      << "pg:\n  listen: 127.0.0.1:5433\n  max_connections: 9\n";
  }
  Config c;
  ASSERT_TRUE(LoadConfigFile(path.string(), &c).ok());
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.wal_fsync, wal::FsyncMode::kAlways);
  EXPECT_EQ(c.wal_segment_bytes, 1u << 20);
  EXPECT_EQ(c.listen, "127.0.0.1:9663");
  EXPECT_EQ(c.query_timeout_ms, 30'000);
  EXPECT_EQ(c.query_lookback_ms, 600'000);
  EXPECT_EQ(c.query_max_samples, 1000);
  EXPECT_EQ(c.sql_memory_limit_bytes, 2ull << 30);
  EXPECT_EQ(c.sql_threads, 3);
  EXPECT_EQ(c.sql_timeout_ms, 45'000);
  EXPECT_EQ(c.pg_listen, "127.0.0.1:5433");
  EXPECT_EQ(c.pg_max_connections, 9);
  EXPECT_EQ(c.max_future_ms, 3'600'000);
  EXPECT_EQ(c.max_block_duration_ms, 6 * 3'600'000);
  EXPECT_EQ(c.cold_url, "s3://bucket/tsdb");
  EXPECT_EQ(c.s3.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(c.s3.region, "eu-west-3");
  EXPECT_EQ(c.s3.access_key_id, "AK");
  EXPECT_EQ(c.s3.secret_access_key, "SK");
  EXPECT_EQ(c.s3.request_timeout_ms, 5'000);
  EXPECT_EQ(c.s3.max_attempts, 3);
  EXPECT_EQ(c.cluster_writer, "w1");
  EXPECT_TRUE(c.cluster_compactor);
  EXPECT_EQ(c.cluster_writers, (std::vector<std::string>{"http://a:9663/", "http://b:9663"}));
  EXPECT_EQ(c.cluster_writer_timeout_ms, 5'000);
  EXPECT_TRUE(c.read_only);
  EXPECT_EQ(JoinWriterUrls(c.cluster_writers), "http://a:9663/,http://b:9663");
  {
    std::ofstream f(path);
    f << "wal:\n  fsynk: always\n";
  }
  Status st = LoadConfigFile(path.string(), &c);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("unknown configuration key \"wal.fsynk\""), std::string::npos);
  std::filesystem::remove(path);
}

TEST(ConfigTest, PrometheusSections) {
  auto dir = std::filesystem::temp_directory_path() / "mytsdb_config_prom";
  std::filesystem::create_directories(dir);
  auto path = dir / "mytsdb.yml";
  std::ofstream(path) << "global:\n  evaluation_interval: 15s\n  query_offset: 30s\n"
                         "  external_labels: {region: eu, env: prod}\n"
                         "rule_files: ['rules/*.yml', /etc/rules.yml]\n"
                         "listen: 127.0.0.1:1\n";
  Config c;
  ASSERT_TRUE(LoadConfigFile(path.string(), &c).ok());
  EXPECT_EQ(c.evaluation_interval_ms, 15'000);
  EXPECT_EQ(c.rule_query_offset_ms, 30'000);
  EXPECT_EQ(c.external_labels.at("env"), "prod");
  EXPECT_EQ(c.rule_files, (std::vector<std::string>{"rules/*.yml", "/etc/rules.yml"}));
  EXPECT_EQ(c.rule_files_base, dir.string());
  EXPECT_EQ(c.listen, "127.0.0.1:1");
  // Scraping's keys of the global section fill the jobs' defaults.
  std::ofstream(path) << "scrape_configs: [{job_name: a}]\nglobal:\n  scrape_interval: 15s\n";
  ASSERT_TRUE(LoadConfigFile(path.string(), &c).ok());
  ASSERT_EQ(c.scrape_configs.size(), 1u);
  EXPECT_EQ(c.scrape_configs[0].scrape_interval_ms, 15'000);
  std::ofstream(path) << "scrape_configs: [{job_name: a, scrape_timeout: 2m}]\n";
  Status st = LoadConfigFile(path.string(), &c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("scrape timeout greater than scrape interval"), std::string::npos) << st.message();
  // Keys of Prometheus's global section MyTSDB does not use are refused.
  std::ofstream(path) << "global:\n  scrape_failure_log_file: x\n";
  st = LoadConfigFile(path.string(), &c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("global.scrape_failure_log_file"), std::string::npos) << st.message();
  std::ofstream(path) << "rule_files: rules.yml\n";
  EXPECT_FALSE(LoadConfigFile(path.string(), &c).ok());
  std::filesystem::remove_all(dir);
}

TEST(EffectiveFlagsTest, SizesAndDurationsReadBack) {
  for (uint64_t bytes : {0ull, 1ull, 1023ull, 1024ull, 1536ull, 128ull << 20, 10ull << 30, (1ull << 30) + 1}) {
    auto parsed = ParseBytes(FormatBytes(bytes));
    ASSERT_TRUE(parsed.ok()) << FormatBytes(bytes);
    EXPECT_EQ(*parsed, bytes) << FormatBytes(bytes);
  }
  EXPECT_EQ(FormatBytes(128ull << 20), "128MiB");
  EXPECT_EQ(FormatBytes(1536), "1536B");
  EXPECT_EQ(FormatBytes(3072), "3KiB");

  Config c;
  c.retention_ms = 30LL * 24 * 3600 * 1000;
  c.wal_fsync = wal::FsyncMode::kAlways;
  c.enable_admin_api = true;
  auto flags = EffectiveFlags(c, "/etc/mytsdb.yml");
  std::map<std::string, std::string> by_name(flags.begin(), flags.end());
  EXPECT_EQ(by_name.size(), flags.size()) << "a flag is listed twice";
  EXPECT_EQ(by_name["config"], "/etc/mytsdb.yml");
  EXPECT_EQ(by_name["retention"], "30d");
  EXPECT_EQ(by_name["wal-fsync"], "always");
  EXPECT_EQ(by_name["web.enable-admin-api"], "true");
  EXPECT_EQ(by_name["wal-segment-size"], "128MiB");
  EXPECT_EQ(by_name["query.lookback-delta"], "5m");
}

}  // namespace
TEST(RedactSecretsTest, SecretValuesHiddenEverythingElseKept) {
  const std::string text =
      "# object storage\n"
      "storage:\n"
      "  s3:\n"
      "    access_key_id: AKIA\n"
      "    secret_access_key: hunter2  # keep out\n"
      "scrape_configs:\n"
      "  - job_name: a\n"
      "    basic_auth:\n"
      "      username: u\n"
      "      \"password\": 'p w'\n"
      "    authorization:\n"
      "      credentials: abc\n"
      "    password_file: /etc/pw\n"
      "    bearer_token:\n";
  const std::string redacted = RedactSecrets(text);
  EXPECT_EQ(redacted,
            "# object storage\n"
            "storage:\n"
            "  s3:\n"
            "    access_key_id: AKIA\n"
            "    secret_access_key: <secret>\n"
            "scrape_configs:\n"
            "  - job_name: a\n"
            "    basic_auth:\n"
            "      username: u\n"
            "      \"password\": <secret>\n"
            "    authorization:\n"
            "      credentials: <secret>\n"
            "    password_file: /etc/pw\n"
            "    bearer_token:\n");
  EXPECT_EQ(redacted.find("hunter2"), std::string::npos);
}

}  // namespace mytsdb::app
