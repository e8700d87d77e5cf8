// The service with the real model over a small catalog: it embeds what is
// new, finds what a question means, filters, re-embeds only what changed
// after a restart, and forgets families that left the store.
#include "search/search_service.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace mytsdb::search {
namespace {

MetricEntry Entry(std::string name, std::string type, std::string help, std::vector<std::string> names = {}) {
  MetricEntry e;
  e.name = std::move(name);
  e.type = std::move(type);
  e.help = std::move(help);
  e.metric_names = names.empty() ? std::vector<std::string>{e.name} : std::move(names);
  e.series = 1;
  return e;
}

class SearchServiceTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::path(testing::TempDir()) / "search_service").string();
    std::filesystem::remove_all(dir_);
    catalog_.entries = {
        Entry("http_request_duration_seconds", "histogram", "Latency of HTTP requests.",
              {"http_request_duration_seconds_bucket", "http_request_duration_seconds_count",
               "http_request_duration_seconds_sum"}),
        Entry("http_requests_total", "counter", "Total number of HTTP requests by status code."),
        Entry("node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes."),
        Entry("node_load1", "gauge", "1m load average."),
        Entry("process_open_fds", "gauge", "Number of open file descriptors."),
        Entry("go_gc_duration_seconds", "summary", "A summary of the pause duration of garbage collection cycles.",
              {"go_gc_duration_seconds", "go_gc_duration_seconds_count", "go_gc_duration_seconds_sum"}),
    };
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SearchService> Open() {
    CatalogSource source;
    source.build = [this] { return catalog_; };
    source.generation = [this] { return generation_; };
    source.select_names = [](const model::Matchers& m) {
      // job="node" selects the node exporter's metrics.
      std::set<std::string> out;
      if (m.size() == 1 && m[0].value() == "node") out = {"node_filesystem_avail_bytes", "node_load1"};
      return out;
    };
    SearchServiceOptions options;
    options.model_dir = MYTSDB_MODEL_DIR;
    options.table_dir = dir_;
    options.refresh_interval = std::chrono::milliseconds(0);
    auto s = SearchService::Open(options, source);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? s.MoveValue() : nullptr;
  }

  std::string Top(const SearchService& s, SearchRequest request) {
    auto hits = s.Search(request);
    EXPECT_TRUE(hits.ok());
    return hits.ok() && !hits->empty() ? (*hits)[0].metric.name : "";
  }

  std::string dir_;
  Catalog catalog_;
  uint64_t generation_ = 1;
};

TEST_F(SearchServiceTest, FindsWhatAQuestionMeans) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->Refresh().ok());
  EXPECT_EQ(s->stats().indexed, 6u);
  EXPECT_EQ(s->stats().embedded_total, 6u);
  EXPECT_EQ(Top(*s, {.question = "show me latency metrics"}), "http_request_duration_seconds");
  EXPECT_EQ(Top(*s, {.question = "which disks are almost full"}), "node_filesystem_avail_bytes");
  EXPECT_EQ(Top(*s, {.question = "time spent in garbage collection"}), "go_gc_duration_seconds");
  EXPECT_EQ(Top(*s, {.question = "rps"}), "http_requests_total");
  EXPECT_EQ(Top(*s, {.question = "process_open_fds"}), "process_open_fds");
  // Each mode alone answers too.
  EXPECT_EQ(Top(*s, {.question = "latency", .mode = RankMode::kSemantic}), "http_request_duration_seconds");
  EXPECT_EQ(Top(*s, {.question = "file descriptors", .mode = RankMode::kLexical}), "process_open_fds");

  // Filters.
  EXPECT_EQ(Top(*s, {.question = "latency", .type = "summary"}), "go_gc_duration_seconds");
  auto job = model::Matcher::Make(model::MatchType::kEqual, "job", "node");
  auto hits = s->Search({.question = "latency", .limit = 10, .selectors = {{*job}}});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2u);
  for (const SearchHit& h : *hits) EXPECT_TRUE(h.metric.name.starts_with("node_")) << h.metric.name;

  // The hit carries what the API shows.
  hits = s->Search({.question = "latency", .limit = 1});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].metric.type, "histogram");
  EXPECT_EQ((*hits)[0].query, "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))");
  EXPECT_GT((*hits)[0].rank.semantic, 0.3);
}

TEST_F(SearchServiceTest, ARestartEmbedsOnlyWhatChangedAndForgetsWhatLeft) {
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(s->Refresh().ok());
  }
  catalog_.entries[3].help = "Load average over one minute.";  // node_load1 changed
  catalog_.entries.erase(catalog_.entries.begin() + 4);          // process_open_fds left
  auto s = Open();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->stats().indexed, 0u);  // the first refresh indexes the stored vectors
  ASSERT_TRUE(s->Refresh().ok());
  EXPECT_EQ(s->stats().embedded_total, 1u);
  EXPECT_EQ(s->stats().indexed, 5u);
  EXPECT_NE(Top(*s, {.question = "process_open_fds"}), "process_open_fds");
  EXPECT_EQ(Top(*s, {.question = "load average over one minute"}), "node_load1");
  // The unchanged generation skips the next refresh; a new one re-checks.
  ASSERT_TRUE(s->Refresh().ok());
  EXPECT_EQ(s->stats().refreshes, 1u);
  ++generation_;
  ASSERT_TRUE(s->Refresh().ok());
  EXPECT_EQ(s->stats().refreshes, 2u);
  EXPECT_EQ(s->stats().embedded_total, 1u);
}

}  // namespace
}  // namespace mytsdb::search
