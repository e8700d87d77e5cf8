// The catalog: families grouped by metadata, series counts, label values
// most frequent first, and the text and query built from an entry.
#include "search/catalog.h"

#include <gtest/gtest.h>

#include "ingest/remote_write.h"
#include "search/metric_text.h"

namespace mytsdb::search {
namespace {

storage::SeriesSelection Selection(const std::vector<model::Labels>& series) {
  storage::SeriesSelection s;
  for (const model::Labels& labels : series) {
    s.Add(std::nullopt, std::nullopt, [&](model::LabelSets* sets) { sets->Append(labels); });
  }
  s.Finish();
  return s;
}

head::MetricMetadata Meta(std::string family, ingest::MetricType type, std::string help, std::string unit = "") {
  return {std::move(family), static_cast<uint8_t>(type), std::move(help), std::move(unit)};
}

const MetricEntry* Find(const Catalog& c, std::string_view name) {
  for (const MetricEntry& e : c.entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

TEST(CatalogTest, GroupsFamiliesAndCountsSeriesAndValues) {
  std::vector<model::Labels> series;
  for (const char* le : {"0.1", "1", "+Inf"}) {
    series.push_back({{"__name__", "http_request_duration_seconds_bucket"}, {"handler", "/api"}, {"le", le}});
    series.push_back({{"__name__", "http_request_duration_seconds_bucket"}, {"handler", "/metrics"}, {"le", le}});
  }
  for (const char* handler : {"/api", "/metrics"}) {
    series.push_back({{"__name__", "http_request_duration_seconds_sum"}, {"handler", handler}});
    series.push_back({{"__name__", "http_request_duration_seconds_count"}, {"handler", handler}});
  }
  series.push_back({{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "api"}});
  series.push_back({{"__name__", "http_requests_total"}, {"code", "500"}, {"job", "api"}});
  series.push_back({{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "web"}});
  series.push_back({{"__name__", "process_open_fds"}, {"job", "api"}});
  series.push_back({{"__name__", "orphan_metric_total"}});
  // An OpenMetrics counter: family "jobs", samples "jobs_total".
  series.push_back({{"__name__", "jobs_total"}});
  const std::vector<head::MetricMetadata> metadata = {
      Meta("http_request_duration_seconds", ingest::MetricType::kHistogram, "Latency of HTTP requests.", "seconds"),
      Meta("http_requests_total", ingest::MetricType::kCounter, "Requests served."),
      Meta("process_open_fds", ingest::MetricType::kGauge, "Open file descriptors."),
      Meta("jobs", ingest::MetricType::kCounter, "Jobs run."),
  };
  const Catalog catalog = BuildCatalog(Selection(series), metadata, {.top_values = 1});
  ASSERT_EQ(catalog.entries.size(), 5u);
  EXPECT_EQ(catalog.series, series.size());

  const MetricEntry* histogram = Find(catalog, "http_request_duration_seconds");
  ASSERT_NE(histogram, nullptr);
  EXPECT_EQ(histogram->type, "histogram");
  EXPECT_EQ(histogram->unit, "seconds");
  EXPECT_EQ(histogram->series, 10u);
  EXPECT_EQ(histogram->metric_names,
            (std::vector<std::string>{"http_request_duration_seconds_bucket", "http_request_duration_seconds_count",
                                      "http_request_duration_seconds_sum"}));
  ASSERT_EQ(histogram->labels.size(), 1u);  // le is structural
  EXPECT_EQ(histogram->labels[0].name, "handler");
  EXPECT_EQ(SuggestedQuery(*histogram),
            "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))");

  const MetricEntry* counter = Find(catalog, "http_requests_total");
  ASSERT_NE(counter, nullptr);
  EXPECT_EQ(counter->series, 3u);
  ASSERT_EQ(counter->labels.size(), 2u);
  EXPECT_EQ(counter->labels[0].name, "code");
  EXPECT_EQ(counter->labels[0].distinct_values, 2u);
  ASSERT_EQ(counter->labels[0].top_values.size(), 1u);  // top_values = 1
  EXPECT_EQ(counter->labels[0].top_values[0], (std::pair<std::string, size_t>{"200", 2}));
  EXPECT_EQ(SuggestedQuery(*counter), "rate(http_requests_total[5m])");

  const MetricEntry* om_counter = Find(catalog, "jobs");
  ASSERT_NE(om_counter, nullptr);
  EXPECT_EQ(om_counter->metric_names, std::vector<std::string>{"jobs_total"});
  EXPECT_EQ(SuggestedQuery(*om_counter), "rate(jobs_total[5m])");

  const MetricEntry* gauge = Find(catalog, "process_open_fds");
  ASSERT_NE(gauge, nullptr);
  EXPECT_EQ(SuggestedQuery(*gauge), "process_open_fds");
  // Abbreviations spelled out; job and instance left out.
  EXPECT_EQ(EmbeddingText(*gauge), "process open file descriptors (gauge). Open file descriptors.");
  EXPECT_EQ(EmbeddingText(*counter), "http requests total (counter). Requests served. Labels: code.");

  const MetricEntry* orphan = Find(catalog, "orphan_metric_total");
  ASSERT_NE(orphan, nullptr);
  EXPECT_EQ(orphan->type, "unknown");
  EXPECT_EQ(SuggestedQuery(*orphan), "rate(orphan_metric_total[5m])");
  EXPECT_EQ(EmbeddingText(*orphan), "orphan metric total.");
}

TEST(MetricTextTest, SplitsNamesIntoWords) {
  EXPECT_EQ(NameWords("http_request_duration_seconds"),
            (std::vector<std::string>{"http", "request", "duration", "seconds"}));
  EXPECT_EQ(NameWords("job:http_requests:rate5m"), (std::vector<std::string>{"job", "http", "requests", "rate5m"}));
  EXPECT_EQ(NameWords("kubeletPLEGLatency"), (std::vector<std::string>{"kubelet", "pleg", "latency"}));
  EXPECT_EQ(NameWords("Disk full?"), (std::vector<std::string>{"disk", "full"}));
  EXPECT_TRUE(NameWords("__").empty());
}

}  // namespace
}  // namespace mytsdb::search
