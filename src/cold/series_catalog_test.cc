#include "cold/series_catalog.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mytsdb::cold {
namespace {

using model::Labels;

Labels Series(int i) {
  return Labels::FromSorted({{"__name__", i % 3 == 0 ? "up" : "node_cpu_seconds_total"},
                             {"instance", "host-" + std::to_string(i / 8)},
                             {"mode", std::to_string(i % 8)}});
}

TEST(SeriesCatalogTest, InternsEachSeriesOnceAndFindsItByPackedLabels) {
  SeriesCatalog catalog;
  constexpr int kSeries = 20'000;  // many growths of the hash table
  std::vector<ColdSeriesId> ids;
  for (int i = 0; i < kSeries; ++i) ids.push_back(catalog.Intern(Series(i)));
  EXPECT_EQ(catalog.size(), size_t{kSeries});
  model::LabelSets packed;
  for (int i = 0; i < kSeries; ++i) {
    ASSERT_EQ(ids[i], ColdSeriesId(i));
    ASSERT_EQ(catalog.Intern(Series(i)), ids[i]);  // known: same id
    ASSERT_EQ(catalog.Labels(ids[i]), Series(i));
    packed.Append(Series(i));
    ASSERT_EQ(catalog.Find(packed, i), ids[i]);
  }
  EXPECT_EQ(catalog.ids(), size_t{kSeries});
  packed.Append(Labels::FromSorted({{"__name__", "up"}, {"instance", "nowhere"}}));
  EXPECT_EQ(catalog.Find(packed, kSeries), std::nullopt);
  model::LabelSets out;
  catalog.AppendLabels(ids[7], &out);
  EXPECT_EQ(out.At(0), Series(7));
}

TEST(SeriesCatalogTest, RebuildForgetsSeriesGoneFromEveryFileAndNeverReusesTheirIds) {
  SeriesCatalog catalog;
  constexpr int kSeries = 1'000;
  for (int i = 0; i < kSeries; ++i) catalog.Intern(Series(i));
  std::vector<bool> live(kSeries);
  for (int i = 0; i < kSeries; ++i) live[i] = i % 2 == 0;
  catalog.RebuildPostings(live);
  EXPECT_EQ(catalog.size(), size_t{kSeries / 2});
  EXPECT_EQ(catalog.ids(), size_t{kSeries});
  model::LabelSets packed;
  for (int i = 0; i < kSeries; ++i) packed.Append(Series(i));
  for (int i = 0; i < kSeries; ++i) {
    if (live[i]) {
      ASSERT_EQ(catalog.Labels(i), Series(i));
      ASSERT_EQ(catalog.Find(packed, i), ColdSeriesId(i));
    } else {
      ASSERT_TRUE(catalog.Labels(i).empty());
      ASSERT_EQ(catalog.Find(packed, i), std::nullopt);
      model::LabelSets out;
      catalog.AppendLabels(i, &out);
      ASSERT_TRUE(out.IsEmpty(0));
    }
  }
  // The label index holds the live series only, in id order.
  index::Postings all = catalog.postings()->All();
  ASSERT_EQ(all.size(), size_t{kSeries / 2});
  for (size_t k = 0; k < all.size(); ++k) EXPECT_EQ(all[k], 2 * k);
  // A series that comes back gets a new id.
  EXPECT_EQ(catalog.Intern(Series(1)), ColdSeriesId(kSeries));
  EXPECT_EQ(catalog.Intern(Series(0)), ColdSeriesId(0));
  EXPECT_EQ(catalog.size(), size_t{kSeries / 2 + 1});
}

TEST(SeriesCatalogTest, RebuildWithEverySeriesLiveKeepsTheIndexAsItIs) {
  SeriesCatalog catalog;
  constexpr int kSeries = 1'000;
  for (int i = 0; i < kSeries; ++i) catalog.Intern(Series(i));
  std::vector<bool> half(kSeries);
  for (int i = 0; i < kSeries; ++i) half[i] = i < kSeries / 2;
  catalog.RebuildPostings(half);
  auto before = catalog.postings();
  // Freed ids may be missing from `live` or false in it: still nothing gone.
  std::vector<bool> live(kSeries / 2, true);
  catalog.RebuildPostings(live);
  EXPECT_EQ(catalog.postings(), before);  // the same index object: no rebuild
  EXPECT_EQ(catalog.size(), size_t{kSeries / 2});
  model::LabelSets packed;
  for (int i = 0; i < kSeries / 2; ++i) packed.Append(Series(i));
  for (int i = 0; i < kSeries / 2; ++i) ASSERT_EQ(catalog.Find(packed, i), ColdSeriesId(i));
  // One series gone: rebuilt.
  live[3] = false;
  catalog.RebuildPostings(live);
  EXPECT_NE(catalog.postings(), before);
  EXPECT_EQ(catalog.size(), size_t{kSeries / 2 - 1});
  EXPECT_EQ(catalog.Find(packed, 3), std::nullopt);
}

}  // namespace
}  // namespace mytsdb::cold
