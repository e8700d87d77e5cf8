#include "index/value_entry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace mytsdb::index {
namespace {

std::vector<SeriesRef> Refs(const PostingList& list) { return {list.refs().begin(), list.refs().end()}; }

TEST(ValueKeyTest, ShortAndLongStringsReadBackAndOrderAsStrings) {
  const std::vector<std::string> strings = {"", "a", "pod-12345-3", std::string(15, 'x'), std::string(16, 'x'),
                                            std::string(300, 'y') + "z", std::string("nul\0byte", 8)};
  std::map<ValueKey, int, ValueKeyLess> map;
  for (size_t i = 0; i < strings.size(); ++i) map.emplace(ValueKey(strings[i]), static_cast<int>(i));
  std::vector<std::string> sorted = strings;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> got;
  for (const auto& [key, i] : map) {
    got.emplace_back(key.view());
    EXPECT_EQ(key.view(), strings[static_cast<size_t>(i)]);
  }
  EXPECT_EQ(got, sorted);
  for (const std::string& s : strings) EXPECT_NE(map.find(std::string_view(s)), map.end()) << s;
  EXPECT_EQ(map.find(std::string_view("absent")), map.end());

  ValueKey a(std::string(40, 'q')), b("short");
  ValueKey moved(std::move(a));
  EXPECT_EQ(moved.view(), std::string(40, 'q'));
  EXPECT_EQ(a.view(), "");  // NOLINT(bugprone-use-after-move): moved-from is empty
  moved = std::move(b);
  EXPECT_EQ(moved.view(), "short");
}

// Random inserts and removals against a std::set: every state reads back
// the same, through the inline one-ref form, growth and shrinking.
TEST(PostingListTest, MatchesASetThroughInsertsAndRemovals) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    PostingList list;
    std::set<SeriesRef> want;
    const int steps = 1 + static_cast<int>(rng() % 400);
    for (int step = 0; step < steps; ++step) {
      if (rng() % 3 != 0) {
        // Mostly increasing refs, as the head adds them; some out of order
        // and some repeated.
        SeriesRef ref = rng() % 5 == 0 ? rng() % 1000 : (want.empty() ? 1 : *want.rbegin() + 1 + rng() % 3);
        EXPECT_EQ(list.Insert(ref), want.insert(ref).second);
      } else {
        std::vector<SeriesRef> gone;
        for (SeriesRef r : want) {
          if (rng() % 2 == 0) gone.push_back(r);
        }
        gone.push_back(5000);  // not in the list
        std::sort(gone.begin(), gone.end());
        size_t expected = 0;
        for (SeriesRef r : gone) expected += want.erase(r);
        EXPECT_EQ(list.Remove(gone), expected);
      }
      ASSERT_EQ(Refs(list), std::vector<SeriesRef>(want.begin(), want.end()));
      ASSERT_EQ(list.size(), want.size());
    }
    PostingList moved(std::move(list));
    EXPECT_EQ(Refs(moved), std::vector<SeriesRef>(want.begin(), want.end()));
    EXPECT_TRUE(list.empty());  // NOLINT(bugprone-use-after-move)
  }
}

TEST(PostingListTest, OneRefNeedsNoAllocationAndComesBackToIt) {
  PostingList list;
  EXPECT_TRUE(list.Insert(42));
  EXPECT_FALSE(list.Insert(42));
  EXPECT_EQ(Refs(list), std::vector<SeriesRef>{42});
  EXPECT_EQ(list.refs().data(), reinterpret_cast<const SeriesRef*>(&list));  // inline
  for (SeriesRef r = 43; r < 100; ++r) list.Insert(r);
  EXPECT_NE(list.refs().data(), reinterpret_cast<const SeriesRef*>(&list));
  std::vector<SeriesRef> all;
  for (SeriesRef r = 43; r < 100; ++r) all.push_back(r);
  EXPECT_EQ(list.Remove(all), all.size());
  EXPECT_EQ(Refs(list), std::vector<SeriesRef>{42});
  EXPECT_EQ(list.refs().data(), reinterpret_cast<const SeriesRef*>(&list));  // inline again
}

}  // namespace
}  // namespace mytsdb::index
