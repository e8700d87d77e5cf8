#include "index/postings.h"

#include <gtest/gtest.h>

namespace mytsdb::index {
namespace {

using model::Labels;
using model::Matcher;
using model::MatchType;

Matcher M(MatchType t, const std::string& n, const std::string& v) {
  auto m = Matcher::Make(t, n, v);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.MoveValue();
}

class MemPostingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    idx_.Add(1, Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a"}});
    idx_.Add(2, Labels{{"__name__", "up"}, {"job", "web"}, {"instance", "b"}});
    idx_.Add(3, Labels{{"__name__", "up"}, {"instance", "c"}});  // no job
    idx_.Add(4, Labels{{"__name__", "rq"}, {"job", "api"}});
  }
  MemPostings idx_;
};

TEST_F(MemPostingsTest, EqualityAndIntersection) {
  EXPECT_EQ(idx_.Select({M(MatchType::kEqual, "__name__", "up")}), (Postings{1, 2, 3}));
  EXPECT_EQ(idx_.Select({M(MatchType::kEqual, "__name__", "up"),
                         M(MatchType::kEqual, "job", "api")}),
            (Postings{1}));
  EXPECT_EQ(idx_.Select({M(MatchType::kEqual, "job", "nope")}), Postings{});
}

TEST_F(MemPostingsTest, EmptyMatchingMatchersSelectSeriesWithoutTheLabel) {
  // job="" selects series without job.
  EXPECT_EQ(idx_.Select({M(MatchType::kEqual, "__name__", "up"), M(MatchType::kEqual, "job", "")}),
            (Postings{3}));
  // job!="api" includes the series without job.
  EXPECT_EQ(
      idx_.Select({M(MatchType::kEqual, "__name__", "up"), M(MatchType::kNotEqual, "job", "api")}),
      (Postings{2, 3}));
  // job=~".+" excludes it; job!~"a.*" keeps it.
  EXPECT_EQ(idx_.Select({M(MatchType::kRegexMatch, "job", ".+")}), (Postings{1, 2, 4}));
  EXPECT_EQ(idx_.Select({M(MatchType::kEqual, "__name__", "up"),
                         M(MatchType::kRegexNoMatch, "job", "a.*")}),
            (Postings{2, 3}));
  // Only empty-matching matchers: start from all series.
  EXPECT_EQ(idx_.Select({M(MatchType::kNotEqual, "job", "web")}), (Postings{1, 3, 4}));
}

TEST_F(MemPostingsTest, LabelNamesAndValuesAreSorted) {
  EXPECT_EQ(idx_.LabelNames(), (std::vector<std::string>{"__name__", "instance", "job"}));
  EXPECT_EQ(idx_.LabelValues("job"), (std::vector<std::string>{"api", "web"}));
  EXPECT_TRUE(idx_.LabelValues("missing").empty());
  EXPECT_EQ(idx_.num_entries(), 10u);
}

TEST_F(MemPostingsTest, RemoveDropsSeriesAndEmptiedNamesAndValues) {
  std::vector<std::pair<SeriesRef, Labels>> gone = {
      {4, Labels{{"__name__", "rq"}, {"job", "api"}}},
      {2, Labels{{"__name__", "up"}, {"job", "web"}, {"instance", "b"}}}};
  idx_.Remove(gone);
  EXPECT_EQ(idx_.All(), (Postings{1, 3}));
  EXPECT_EQ(idx_.Select({M(MatchType::kEqual, "job", "api")}), (Postings{1}));
  EXPECT_EQ(idx_.LabelValues("__name__"), (std::vector<std::string>{"up"}));
  EXPECT_EQ(idx_.LabelValues("job"), (std::vector<std::string>{"api"}));
  EXPECT_EQ(idx_.num_entries(), 5u);  // 10 - 2 - 3
  idx_.Remove(std::vector<std::pair<SeriesRef, Labels>>{
      {1, Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a"}}}});
  EXPECT_EQ(idx_.LabelNames(), (std::vector<std::string>{"__name__", "instance"}));
  // Refs may be added again after a removal, in increasing order.
  idx_.Add(5, Labels{{"__name__", "up"}, {"job", "api"}});
  EXPECT_EQ(idx_.Select({M(MatchType::kEqual, "job", "api")}), (Postings{5}));
}

TEST(PostingsTest, SetOperations) {
  Postings a{1, 3, 5, 7}, b{3, 4, 5};
  EXPECT_EQ(Intersect(a, b), (Postings{3, 5}));
  EXPECT_EQ(Difference(a, b), (Postings{1, 7}));
  const std::span<const SeriesRef> lists[] = {a, b};
  EXPECT_EQ(Union(lists), (Postings{1, 3, 4, 5, 7}));
}

}  // namespace
}  // namespace mytsdb::index

namespace mytsdb::index {
namespace {

TEST(MemPostingsStatsTest, CountsAsPrometheusDoes) {
  MemPostings idx;
  idx.Add(1, model::Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a"}});
  idx.Add(2, model::Labels{{"__name__", "up"}, {"job", "web"}, {"instance", "b"}});
  idx.Add(3, model::Labels{{"__name__", "up"}, {"instance", "c"}});
  idx.Add(4, model::Labels{{"__name__", "rq"}, {"job", "api"}});

  PostingsStats all = idx.Stats("__name__", 10);
  EXPECT_EQ(all.series_by_metric, (std::vector<CountStat>{{"up", 3}, {"rq", 1}}));
  EXPECT_EQ(all.values_by_label, (std::vector<CountStat>{{"instance", 3}, {"__name__", 2}, {"job", 2}}));
  // Prometheus's estimate: (len(name) + 16 + len(value) + 16) per series.
  EXPECT_EQ(all.bytes_by_label,
            (std::vector<CountStat>{{"__name__", 42 * 3 + 42}, {"instance", 41 * 3}, {"job", 38 * 3}}));
  EXPECT_EQ(all.series_by_label_pair,
            (std::vector<CountStat>{{"__name__=up", 3}, {"job=api", 2}, {"__name__=rq", 1}, {"instance=a", 1},
                                    {"instance=b", 1}, {"instance=c", 1}, {"job=web", 1}}));
  EXPECT_EQ(all.num_label_pairs, 7u);

  // The limit keeps the largest (of equal counts, the first names).
  PostingsStats top = idx.Stats("__name__", 2);
  EXPECT_EQ(top.series_by_label_pair, (std::vector<CountStat>{{"__name__=up", 3}, {"job=api", 2}}));
  EXPECT_EQ(top.values_by_label, (std::vector<CountStat>{{"instance", 3}, {"__name__", 2}}));
  EXPECT_EQ(idx.Stats("__name__", 1).series_by_metric, (std::vector<CountStat>{{"up", 3}}));
  EXPECT_TRUE(idx.Stats("__name__", 0).series_by_metric.empty());

  // Another label as the "metric" one, and an empty index.
  EXPECT_EQ(idx.Stats("job", 10).series_by_metric, (std::vector<CountStat>{{"api", 2}, {"web", 1}}));
  PostingsStats none = MemPostings().Stats("__name__", 10);
  EXPECT_TRUE(none.series_by_metric.empty() && none.values_by_label.empty());
  EXPECT_EQ(none.num_label_pairs, 0u);
}

}  // namespace
}  // namespace mytsdb::index
