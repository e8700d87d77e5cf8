#include "head/ref_table.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>

namespace mytsdb::head {
namespace {

using Table = RefTable<std::shared_ptr<int>>;

// Random inserts, look-ups and erasures against a std::map, with refs in
// increasing runs (as the head hands them out), a few far apart, and a few
// past the array: the same contents, visited in ref order.
TEST(RefTableTest, MatchesAMapThroughInsertsAndErasures) {
  std::mt19937_64 rng(5);
  Table table;
  std::map<uint64_t, int> want;
  uint64_t next = 1;
  for (int round = 0; round < 60; ++round) {
    for (int i = 0; i < 500; ++i) {
      uint64_t ref = next++;
      if (rng() % 97 == 0) ref = next += 50'000;                        // a gap of many pages
      if (rng() % 211 == 0) ref = (uint64_t{1} << 33) + rng() % 1000;  // past the array
      if (rng() % 53 == 0 && !want.empty()) ref = want.begin()->first;  // taken already
      const int value = static_cast<int>(rng() % 1'000'000);
      const bool inserted = table.Insert(ref, std::make_shared<int>(value));
      EXPECT_EQ(inserted, want.emplace(ref, value).second) << ref;
    }
    // Erase about half, mostly the oldest (whole pages empty out).
    std::vector<uint64_t> visited;
    table.EraseIf([&](uint64_t ref, const std::shared_ptr<int>& v) {
      visited.push_back(ref);
      EXPECT_EQ(*v, want.at(ref));
      const bool erase = ref < next / 2 || rng() % 4 == 0;
      if (erase) want.erase(ref);
      return erase;
    });
    std::vector<uint64_t> in_array;
    for (uint64_t r : visited) {
      if (r < (uint64_t{1} << 32)) in_array.push_back(r);
    }
    EXPECT_TRUE(std::is_sorted(in_array.begin(), in_array.end()));
    ASSERT_EQ(table.size(), want.size());
    for (const auto& [ref, value] : want) {
      const std::shared_ptr<int>* found = table.Find(ref);
      ASSERT_NE(found, nullptr) << ref;
      EXPECT_EQ(**found, value);
    }
    for (int i = 0; i < 200; ++i) {
      const uint64_t ref = rng() % (next + 10);
      EXPECT_EQ(table.Find(ref) != nullptr, want.count(ref) == 1) << ref;
    }
  }
  EXPECT_EQ(table.Find(0), nullptr);
  EXPECT_EQ(table.Find(~uint64_t{0}), nullptr);
}

TEST(RefTableTest, ARefBelowTheFirstPageAfterErasures) {
  Table table;
  ASSERT_TRUE(table.Insert(1, std::make_shared<int>(1)));
  ASSERT_TRUE(table.Insert(100'000, std::make_shared<int>(2)));
  table.EraseIf([](uint64_t ref, const std::shared_ptr<int>&) { return ref == 1; });
  EXPECT_EQ(table.Find(1), nullptr);
  // The table now starts at ref 100,000's page; an older ref still goes in.
  ASSERT_TRUE(table.Insert(5, std::make_shared<int>(3)));
  EXPECT_EQ(**table.Find(5), 3);
  EXPECT_EQ(**table.Find(100'000), 2);
  EXPECT_EQ(table.size(), 2u);
}

}  // namespace
}  // namespace mytsdb::head
