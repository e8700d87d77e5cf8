// What a scrape appends, against Prometheus's scrape loop behaviour: label
// merging with and without honor_labels, metric relabeling, limits that
// fail the whole scrape, timestamps, staleness and the report series.
#include "scrape/scrape_append.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <bit>
#include <cmath>
#include <map>

#include "model/sample.h"

namespace mytsdb::scrape {
namespace {

ScrapeConfig Config(const std::string& extra = "") {
  auto configs = ParseScrapeConfigs(YAML::Load("- job_name: j\n" + extra), ScrapeGlobals{}, "");
  EXPECT_TRUE(configs.ok()) << configs.status().ToString();
  return configs.ok() ? (*configs)[0] : ScrapeConfig{};
}

Exposition Body(const std::string& text) {
  auto parsed = ParsePrometheusText(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : Exposition{};
}

// series -> "value@t", stale markers as "stale@t".
std::map<std::string, std::string> Show(const AppendBatch& batch) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < batch.labels.size(); ++i) {
    for (const auto& s : batch.samples[i]) {
      char v[64];
      std::snprintf(v, sizeof v, "%g", s.value);
      out[batch.labels[i].ToString()] = (model::IsStaleNaN(s.value) ? std::string("stale") : v) + "@" + std::to_string(s.timestamp_ms);
    }
  }
  return out;
}

const model::Labels kTarget{{"instance", "h:1"}, {"job", "j"}};

TEST(ScrapeAppendTest, MergesTargetLabelsAsPrometheus) {
  ScrapeConfig config = Config();
  TargetAppender appender(&config, kTarget);
  AppendBatch batch;
  auto counts = appender.AddScrape(
      Body("a{job=\"other\",x=\"1\"} 1\nb{exported_job=\"e\",job=\"o\"} 2\nc{instance=\"\"} 3\nd 4 99\n"), 1000,
      &batch);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->scraped, 4u);
  EXPECT_EQ(counts->post_metric_relabeling, 4u);
  EXPECT_EQ(counts->series_added, 4u);
  EXPECT_EQ(Show(batch), (std::map<std::string, std::string>{
                             {"a{exported_job=\"other\", instance=\"h:1\", job=\"j\", x=\"1\"}", "1@1000"},
                             // exported_job taken: exported_exported_job.
                             {"b{exported_exported_job=\"o\", exported_job=\"e\", instance=\"h:1\", job=\"j\"}", "2@1000"},
                             // An empty scraped label is an absent one.
                             {"c{instance=\"h:1\", job=\"j\"}", "3@1000"},
                             // honor_timestamps (the default): the sample's own time.
                             {"d{instance=\"h:1\", job=\"j\"}", "4@99"}}));

  ScrapeConfig honor = Config("  honor_labels: true\n  honor_timestamps: false\n");
  TargetAppender honoring(&honor, kTarget);
  AppendBatch honored;
  ASSERT_TRUE(honoring.AddScrape(Body("a{job=\"other\"} 1 99\n"), 1000, &honored).ok());
  EXPECT_EQ(Show(honored), (std::map<std::string, std::string>{{"a{instance=\"h:1\", job=\"other\"}", "1@1000"}}));
}

TEST(ScrapeAppendTest, AppliesMetricRelabelingThenTheLimits) {
  ScrapeConfig config = Config(
      "  metric_relabel_configs:\n    - {source_labels: [__name__], regex: drop_.*, action: drop}\n"
      "    - {action: labeldrop, regex: tmp}\n  sample_limit: 2\n");
  TargetAppender appender(&config, kTarget);
  AppendBatch batch;
  auto counts = appender.AddScrape(Body("drop_me 1\nkeep{tmp=\"x\"} 2\ndrop_too 3\nalso 4\n"), 1000, &batch);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->scraped, 4u);
  EXPECT_EQ(counts->post_metric_relabeling, 2u);
  EXPECT_EQ(Show(batch).count("keep{instance=\"h:1\", job=\"j\"}"), 1u);

  AppendBatch over;
  auto failed = appender.AddScrape(Body("a 1\nb 2\nc 3\n"), 2000, &over);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), "sample limit exceeded");

  for (const auto& [extra, body, error] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"  label_limit: 3\n", "a{x=\"1\",y=\"2\"} 1\n",
            "label_limit exceeded (metric: a, number of labels: 5, limit: 3)"},
           // __name__ counts too, as in Prometheus.
           {"  label_name_length_limit: 8\n", "a{longer_name=\"1\"} 1\n",
            "label_name_length_limit exceeded (metric: a, label name: longer_name, length: 11, limit: 8)"},
           {"  label_value_length_limit: 3\n", "a{x=\"hééé\"} 1\n",
            "label_value_length_limit exceeded (metric: a, label name: x, value: \"hééé\", length: 4, limit: 3)"},
           {"", "a{x=\"1\",x=\"2\"} 1\n", "invalid metric name or label names"},
       }) {
    ScrapeConfig limited = Config(extra);
    TargetAppender t(&limited, kTarget);
    AppendBatch b;
    auto result = t.AddScrape(Body(body), 1000, &b);
    ASSERT_FALSE(result.ok()) << body;
    EXPECT_NE(result.status().message().find(error), std::string::npos) << result.status().ToString();
  }
}

TEST(ScrapeAppendTest, MarksWhatWentAwayStaleAndReports) {
  ScrapeConfig config = Config();
  TargetAppender appender(&config, kTarget);
  AppendBatch first;
  ASSERT_TRUE(appender.AddScrape(Body("a 1\nb 2\nts 5 50\n"), 1000, &first).ok());
  appender.Commit();

  // b went away; ts has its own timestamps and is not tracked.
  AppendBatch second;
  auto counts = appender.AddScrape(Body("a 1\nc 3\n"), 2000, &second);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->series_added, 1u);
  appender.AddReport(true, 0.25, *counts, 2000, &second);
  auto shown = Show(second);
  EXPECT_EQ(shown["b{instance=\"h:1\", job=\"j\"}"], "stale@2000");
  EXPECT_EQ(shown.count("ts{instance=\"h:1\", job=\"j\"}"), 0u);
  EXPECT_EQ(shown["up{instance=\"h:1\", job=\"j\"}"], "1@2000");
  EXPECT_EQ(shown["scrape_duration_seconds{instance=\"h:1\", job=\"j\"}"], "0.25@2000");
  EXPECT_EQ(shown["scrape_samples_scraped{instance=\"h:1\", job=\"j\"}"], "2@2000");
  EXPECT_EQ(shown["scrape_samples_post_metric_relabeling{instance=\"h:1\", job=\"j\"}"], "2@2000");
  EXPECT_EQ(shown["scrape_series_added{instance=\"h:1\", job=\"j\"}"], "1@2000");
  appender.Commit();

  // A failed scrape: everything of the last one is stale, up is 0.
  AppendBatch failed;
  appender.AddFailure(3000, &failed);
  appender.AddReport(false, 0.5, ScrapeCounts{}, 3000, &failed);
  shown = Show(failed);
  EXPECT_EQ(shown["a{instance=\"h:1\", job=\"j\"}"], "stale@3000");
  EXPECT_EQ(shown["c{instance=\"h:1\", job=\"j\"}"], "stale@3000");
  EXPECT_EQ(shown["up{instance=\"h:1\", job=\"j\"}"], "0@3000");
  appender.Commit();

  // An append that failed is not committed: the next scrape still marks
  // the series it did not see.
  AppendBatch again;
  ASSERT_TRUE(appender.AddScrape(Body("a 1\n"), 4000, &again).ok());
  appender.Commit();
  AppendBatch lost;
  ASSERT_TRUE(appender.AddScrape(Body("z 1\n"), 5000, &lost).ok());  // not committed
  AppendBatch retry;
  ASSERT_TRUE(appender.AddScrape(Body("z 1\n"), 6000, &retry).ok());
  EXPECT_EQ(Show(retry)["a{instance=\"h:1\", job=\"j\"}"], "stale@6000");
  appender.Commit();

  // The target went away: its series and report series go stale.
  AppendBatch end;
  appender.AddEndOfRun(7000, &end);
  shown = Show(end);
  EXPECT_EQ(shown["z{instance=\"h:1\", job=\"j\"}"], "stale@7000");
  EXPECT_EQ(shown["up{instance=\"h:1\", job=\"j\"}"], "stale@7000");
  EXPECT_EQ(shown.size(), 6u);
}

TEST(ScrapeAppendTest, SendsMetadataWhenItChanges) {
  ScrapeConfig config = Config();
  TargetAppender appender(&config, kTarget);
  AppendBatch first;
  ASSERT_TRUE(appender.AddScrape(Body("# TYPE a counter\n# HELP a Help.\na 1\n"), 1000, &first).ok());
  ASSERT_EQ(first.metadata.size(), 1u);
  EXPECT_EQ(first.metadata[0].metric_family_name, "a");
  EXPECT_EQ(first.metadata[0].type, 1);  // counter
  EXPECT_EQ(first.metadata[0].help, "Help.");
  appender.Commit();
  AppendBatch same;
  ASSERT_TRUE(appender.AddScrape(Body("# TYPE a counter\n# HELP a Help.\na 2\n"), 2000, &same).ok());
  EXPECT_TRUE(same.metadata.empty());
  appender.Commit();
  AppendBatch changed;
  ASSERT_TRUE(appender.AddScrape(Body("# TYPE a gauge\na 2\n"), 3000, &changed).ok());
  EXPECT_EQ(changed.metadata.size(), 1u);
}

}  // namespace
}  // namespace mytsdb::scrape
