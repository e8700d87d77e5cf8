#include "head/series_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace mytsdb::head {
namespace {

struct Item {
  int id;
};

TEST(SeriesTableTest, FindsByHashAndPredicateAcrossCollisions) {
  SeriesTable<Item> table;
  Item a{1}, b{2}, c{3};
  table.Insert(7, &a);
  table.Insert(7, &b);  // same hash: told apart by the predicate
  table.Insert(7 + 64, &c);  // same home slot, different hash
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.Find(7, [](Item* x) { return x->id == 2; }), &b);
  EXPECT_EQ(table.Find(7, [](Item* x) { return x->id == 1; }), &a);
  EXPECT_EQ(table.Find(7 + 64, [](Item*) { return true; }), &c);
  EXPECT_EQ(table.Find(7, [](Item* x) { return x->id == 3; }), nullptr);
  EXPECT_EQ(table.Find(8, [](Item*) { return true; }), nullptr);
  EXPECT_TRUE(table.Erase(7, &a));
  EXPECT_FALSE(table.Erase(7, &a));
  // Entries past the hole are still found after the backward shift.
  EXPECT_EQ(table.Find(7, [](Item* x) { return x->id == 2; }), &b);
  EXPECT_EQ(table.Find(7 + 64, [](Item*) { return true; }), &c);
}

// Random inserts and erases, with hashes crowded into few home slots and
// wrapping around the end of the table, against a reference map.
TEST(SeriesTableTest, MatchesAReferenceUnderRandomInsertsAndErases) {
  std::mt19937_64 rng(42);
  std::vector<Item> items(4000);
  for (int i = 0; i < 4000; ++i) items[i].id = i;
  SeriesTable<Item> table;
  std::map<Item*, uint64_t> live;
  for (int round = 0; round < 200'000; ++round) {
    Item* item = &items[rng() % items.size()];
    auto it = live.find(item);
    if (it == live.end()) {
      // Few distinct low bits, many full collisions, and slots near the end.
      uint64_t hash = (rng() % 3 == 0) ? (rng() % 16) : (rng() | 0x3f);
      table.Insert(hash, item);
      live[item] = hash;
    } else {
      ASSERT_TRUE(table.Erase(it->second, item));
      live.erase(it);
    }
    if (round % 1000 == 0) {
      ASSERT_EQ(table.size(), live.size());
      for (const auto& [p, hash] : live) {
        ASSERT_EQ(table.Find(hash, [p = p](Item* x) { return x == p; }), p) << round;
      }
    }
  }
}

}  // namespace
}  // namespace mytsdb::head
