// The ranker on vectors made for the test (so that the expected order is
// known): each mode ranks as it should, exact names and abbreviations win
// lexically, filters hold, replacing and removing work, and the HNSW
// graph's neighbours agree with an exhaustive search.
#include "search/ranker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace mytsdb::search {
namespace {

constexpr size_t kDim = 16;

std::vector<float> Basis(size_t i) {
  std::vector<float> v(kDim, 0.0f);
  v[i % kDim] = 1.0f;
  return v;
}

MetricEntry Entry(std::string name, std::string type, std::string help) {
  MetricEntry e;
  e.name = std::move(name);
  e.type = std::move(type);
  e.help = std::move(help);
  e.metric_names = {e.name};
  return e;
}

std::vector<std::string> Names(const std::vector<RankedMetric>& ranked) {
  std::vector<std::string> out;
  for (const auto& r : ranked) out.push_back(r.name);
  return out;
}

class RankerTest : public testing::Test {
 protected:
  void SetUp() override {
    ranker_.Upsert(Entry("http_requests_total", "counter", "Total HTTP requests by status code."), Basis(0));
    ranker_.Upsert(Entry("http_request_duration_seconds", "histogram", "Latency of HTTP requests."), Basis(1));
    ranker_.Upsert(Entry("node_filesystem_avail_bytes", "gauge", "Filesystem space available."), Basis(2));
    ranker_.Upsert(Entry("container_oom_events_total", "counter", "Count of out of memory events."), Basis(3));
    ranker_.Upsert(Entry("process_resident_memory_bytes", "gauge", "Resident memory size in bytes."), Basis(4));
  }
  Ranker ranker_{kDim};
};

TEST_F(RankerTest, SemanticModeRanksByCosine) {
  std::vector<float> q = Basis(2);
  q[4] = 0.5f;  // nearest 2, then 4
  const auto ranked = ranker_.Search("anything", q, 2, RankMode::kSemantic);
  EXPECT_EQ(Names(ranked), (std::vector<std::string>{"node_filesystem_avail_bytes", "process_resident_memory_bytes"}));
  EXPECT_NEAR(ranked[0].semantic, 1.0, 1e-6);
}

TEST_F(RankerTest, LexicalModeFindsWordsAbbreviationsAndExactNames) {
  EXPECT_EQ(Names(ranker_.Search("filesystem", {}, 1, RankMode::kLexical)),
            std::vector<std::string>{"node_filesystem_avail_bytes"});
  EXPECT_EQ(Names(ranker_.Search("oom", {}, 1, RankMode::kLexical)),
            std::vector<std::string>{"container_oom_events_total"});
  EXPECT_EQ(Names(ranker_.Search("rps", {}, 1, RankMode::kLexical)), std::vector<std::string>{"http_requests_total"});
  EXPECT_EQ(Names(ranker_.Search("p99", {}, 1, RankMode::kLexical)),
            std::vector<std::string>{"http_request_duration_seconds"});
  // The name itself, pasted or typed with spaces, is first whatever the rest.
  EXPECT_EQ(Names(ranker_.Search("HTTP request duration seconds", {}, 1, RankMode::kLexical)),
            std::vector<std::string>{"http_request_duration_seconds"});
  EXPECT_TRUE(ranker_.Search("zzz", {}, 5, RankMode::kLexical).empty());
}

TEST_F(RankerTest, HybridWeighsBoth) {
  // The vector points at the memory gauge, the words at the OOM counter
  // (the gauge shares one word): each score is 0.6 semantic + 0.4 lexical.
  const auto ranked = ranker_.Search("out of memory events", Basis(4), 2, RankMode::kHybrid);
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].name, "process_resident_memory_bytes");
  EXPECT_NEAR(ranked[0].semantic, 1.0, 1e-6);
  EXPECT_GT(ranked[0].lexical, 0.0);
  EXPECT_NEAR(ranked[0].score, 0.6 + 0.4 * ranked[0].lexical, 1e-6);
  EXPECT_EQ(ranked[1].name, "container_oom_events_total");
  EXPECT_DOUBLE_EQ(ranked[1].lexical, 1.0);
  EXPECT_NEAR(ranked[1].score, 0.4, 1e-6);
  // Lexical alone puts the counter first.
  EXPECT_EQ(ranker_.Search("out of memory events", Basis(4), 1, RankMode::kLexical)[0].name,
            "container_oom_events_total");
}

TEST_F(RankerTest, FiltersReplacesAndRemoves) {
  auto only_gauges = [](std::string_view name) { return name.ends_with("_bytes"); };
  EXPECT_EQ(Names(ranker_.Search("memory", Basis(3), 5, RankMode::kHybrid, only_gauges)),
            (std::vector<std::string>{"process_resident_memory_bytes", "node_filesystem_avail_bytes"}));
  ranker_.Upsert(Entry("http_requests_total", "counter", "Requests served, by teapot."), Basis(5));
  EXPECT_EQ(ranker_.size(), 5u);
  EXPECT_EQ(Names(ranker_.Search("teapot", {}, 5, RankMode::kLexical)), std::vector<std::string>{"http_requests_total"});
  EXPECT_TRUE(ranker_.Search("status code", {}, 5, RankMode::kLexical).empty());  // the old HELP is gone
  EXPECT_EQ(Names(ranker_.Search("", Basis(5), 1, RankMode::kSemantic)), std::vector<std::string>{"http_requests_total"});
  ranker_.Remove("http_requests_total");
  EXPECT_EQ(ranker_.size(), 4u);
  EXPECT_FALSE(ranker_.Contains("http_requests_total"));
  for (const auto& r : ranker_.Search("requests", Basis(5), 10, RankMode::kHybrid)) EXPECT_NE(r.name, "http_requests_total");
}

TEST(RankerRecallTest, GraphNeighboursMatchAnExhaustiveSearch) {
  constexpr size_t kDocs = 3000, kDims = 48, kQueries = 50, kTop = 10;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  auto random_unit = [&] {
    std::vector<float> v(kDims);
    double norm = 0;
    for (float& x : v) {
      x = normal(rng);
      norm += double{x} * x;
    }
    for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
    return v;
  };
  Ranker ranker(kDims);
  std::vector<std::vector<float>> vectors;
  for (size_t i = 0; i < kDocs; ++i) {
    vectors.push_back(random_unit());
    ranker.Upsert(Entry("m" + std::to_string(i), "gauge", ""), vectors.back());
  }
  size_t found = 0;
  for (size_t q = 0; q < kQueries; ++q) {
    const auto query = random_unit();
    std::vector<std::pair<double, size_t>> exact;
    for (size_t i = 0; i < kDocs; ++i) {
      double dot = 0;
      for (size_t d = 0; d < kDims; ++d) dot += double{vectors[i][d]} * query[d];
      exact.push_back({-dot, i});
    }
    std::sort(exact.begin(), exact.end());
    const auto ranked = ranker.Search("", query, kTop, RankMode::kSemantic);
    for (size_t k = 0; k < kTop; ++k) {
      const std::string want = "m" + std::to_string(exact[k].second);
      found += std::count_if(ranked.begin(), ranked.end(), [&](const auto& r) { return r.name == want; });
    }
  }
  EXPECT_GE(static_cast<double>(found) / (kQueries * kTop), 0.95);
}

}  // namespace
}  // namespace mytsdb::search
