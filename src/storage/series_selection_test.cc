#include "storage/series_selection.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace mytsdb::storage {
namespace {

using model::Labels;

struct Where {
  std::optional<index::SeriesRef> head;
  std::optional<cold::ColdSeriesId> cold;
  bool operator==(const Where&) const = default;
};

Labels Series(int i) {
  return Labels{{"__name__", i % 3 == 0 ? "a" : "b"}, {"i", std::to_string(i)}};
}

void Check(const SeriesSelection& got, const std::map<Labels, Where>& want) {
  ASSERT_EQ(got.size(), want.size());
  size_t i = 0;
  for (const auto& [labels, where] : want) {
    EXPECT_EQ(got.labels(i), labels) << i;
    EXPECT_EQ(got.label(i, "i"), labels.Get("i"));
    EXPECT_EQ((Where{got.head_ref(i), got.cold_id(i)}), where) << labels.ToString();
    ++i;
  }
}

// Series added in any order from either tier come out sorted by labels, one
// entry per series knowing both tiers' ids; series gone since they were
// selected (an empty label set) are dropped.
TEST(SeriesSelectionTest, SortsMergesTiersAndDropsGoneSeries) {
  std::mt19937 rng(7);
  std::map<Labels, Where> want;
  SeriesSelection got;
  std::vector<int> order(300);
  for (int i = 0; i < 300; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  int both = 0;
  for (int i : order) {  // the head's series
    if (i % 4 == 3) continue;
    Labels l = Series(i);
    got.Add(i * 10, std::nullopt, [&](model::LabelSets* out) { out->Append(l); });
    want[l].head = i * 10;
  }
  std::shuffle(order.begin(), order.end(), rng);
  for (int i : order) {  // the cold tier's
    if (i % 2 == 0) continue;
    Labels l = Series(i);
    got.Add(std::nullopt, cold::ColdSeriesId(i), [&](model::LabelSets* out) { out->Append(l); });
    both += want.contains(l);
    want[l].cold = i;
  }
  for (int gone = 0; gone < 5; ++gone) {
    got.Add(index::SeriesRef(1000 + gone), std::nullopt, [](model::LabelSets* out) { out->EndSet(); });
  }
  got.Finish();
  EXPECT_GT(both, 50);  // not vacuous: many series are in both tiers
  Check(got, want);
}

TEST(SeriesSelectionTest, TheUnionOfSelectionsHoldsEachSeriesOnce) {
  std::map<Labels, Where> want;
  SeriesSelection a, b, all;
  for (int i = 0; i < 100; ++i) {
    Labels l = Series(i);
    if (i % 2 == 0) a.Add(i, std::nullopt, [&](model::LabelSets* out) { out->Append(l); });
    if (i % 3 == 0) b.Add(i, cold::ColdSeriesId(i + 1), [&](model::LabelSets* out) { out->Append(l); });
    if (i % 2 == 0) want[l].head = i;
    if (i % 3 == 0) want[l] = {i, i + 1};
  }
  a.Finish();
  b.Finish();
  all.Add(a);
  all.Add(b);
  all.Add(b);
  all.Finish();
  Check(all, want);
}

}  // namespace
}  // namespace mytsdb::storage
