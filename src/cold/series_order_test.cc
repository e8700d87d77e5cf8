#include "cold/series_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>

namespace mytsdb::cold {
namespace {

// Series named by strings; ids are deliberately not in name order.
class SeriesOrderTest : public ::testing::Test {
 protected:
  ColdSeriesId Id(const std::string& name) {
    auto [it, inserted] = ids_.try_emplace(name, ColdSeriesId(1000 - ids_.size() * 7));
    if (inserted) names_[it->second] = name;
    return it->second;
  }
  std::vector<ColdSeriesId> Ids(const std::vector<std::string>& names) {
    std::vector<ColdSeriesId> out;
    for (const auto& n : names) out.push_back(Id(n));
    return out;
  }
  std::vector<std::string> Names(const std::vector<ColdSeriesId>& ids) {
    std::vector<std::string> out;
    for (ColdSeriesId id : ids) out.push_back(names_.at(id));
    return out;
  }
  SeriesCompare ByName() {
    return [this](ColdSeriesId a, ColdSeriesId b) {
      ++comparisons_;
      return names_.at(a).compare(names_.at(b));
    };
  }
  std::map<std::string, ColdSeriesId> ids_;
  std::map<ColdSeriesId, std::string> names_;
  int comparisons_ = 0;
};

TEST_F(SeriesOrderTest, MergesSortedRunsIntoTheirUnionInOrder) {
  auto merged = MergeSeriesRuns(
      {Ids({"a", "c", "e"}), Ids({"b", "c", "d"}), Ids({"a", "f"}), {}}, ByName());
  EXPECT_EQ(Names(merged), (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
  EXPECT_TRUE(MergeSeriesRuns({}, ByName()).empty());
}

TEST_F(SeriesOrderTest, IdenticalRunsCostNoComparison) {
  // Three files of consecutive blocks of the same series.
  std::vector<std::string> names;
  for (int i = 0; i < 100; ++i) names.push_back("s" + std::to_string(1000 + i));
  auto run = Ids(names);
  auto merged = MergeSeriesRuns({run, run, run}, ByName());
  EXPECT_EQ(Names(merged), names);
  // Only the check that each one comes after the one before it.
  EXPECT_EQ(comparisons_, 99);
}

TEST_F(SeriesOrderTest, RunsOutOfOrderAreSortedInstead) {
  auto merged = MergeSeriesRuns({Ids({"d", "a", "c"}), Ids({"b", "a"})}, ByName());
  EXPECT_EQ(Names(merged), (std::vector<std::string>{"a", "b", "c", "d"}));

  // Random runs, sorted or not: always the union in order, each once.
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::vector<ColdSeriesId>> runs(1 + rng() % 4);
    std::set<std::string> all;
    for (auto& run : runs) {
      std::vector<std::string> names;
      for (int k = rng() % 12; k > 0; --k) names.push_back(std::string(1, char('a' + rng() % 16)));
      if (rng() % 2 != 0) {
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
      }
      all.insert(names.begin(), names.end());
      run = Ids(names);
    }
    EXPECT_EQ(Names(MergeSeriesRuns(runs, ByName())), std::vector<std::string>(all.begin(), all.end()));
  }
}

TEST_F(SeriesOrderTest, DistinctIdsComparingEqualComeOutOnceEachById) {
  // Series freed meanwhile have no labels: they compare equal.
  SeriesCompare nothing_known = [](ColdSeriesId, ColdSeriesId) { return 0; };
  auto merged = MergeSeriesRuns({{5, 3, 9}, {3, 5}}, nothing_known);
  EXPECT_EQ(merged, (std::vector<ColdSeriesId>{3, 5, 9}));
}

}  // namespace
}  // namespace mytsdb::cold
