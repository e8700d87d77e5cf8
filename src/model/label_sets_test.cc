#include "model/label_sets.h"

#include <gtest/gtest.h>

#include <random>

namespace mytsdb::model {
namespace {

std::vector<Labels> RandomSets(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  // Few distinct names and values, so that sets share prefixes and compare
  // deep; some values long enough to need a multi-byte length.
  const std::vector<std::string> names = {"__name__", "a", "ab", "b", "job", "zone"};
  auto value = [&] {
    switch (rng() % 5) {
      case 0: return std::string();
      case 1: return std::string(200 + rng() % 20000, static_cast<char>('a' + rng() % 3));
      case 2: return std::string("\xc3\xa9t\xc3\xa9");
      default: return std::string(1 + rng() % 3, static_cast<char>('x' + rng() % 2));
    }
  };
  std::vector<Labels> out;
  for (size_t i = 0; i < n; ++i) {
    std::vector<Label> ls;
    for (const std::string& name : names) {
      if (rng() % 2 == 0) ls.push_back({name, value()});
    }
    out.push_back(Labels::FromSorted(std::move(ls)));
  }
  return out;
}

TEST(LabelSetsTest, HoldsEverySetAsItWasAppended) {
  std::vector<Labels> sets = RandomSets(500, 1);
  LabelSets packed;
  for (const Labels& l : sets) packed.Append(l);
  ASSERT_EQ(packed.size(), sets.size());
  for (size_t i = 0; i < sets.size(); ++i) {
    EXPECT_EQ(packed.At(i), sets[i]) << i;
    for (const char* name : {"__name__", "a", "ab", "b", "job", "zone", "missing"}) {
      EXPECT_EQ(packed.Get(i, name), sets[i].Get(name)) << i << " " << name;
    }
    size_t seen = 0;
    packed.ForEach(i, [&](std::string_view name, std::string_view value) {
      ASSERT_LT(seen, sets[i].size());
      EXPECT_EQ(name, sets[i].items()[seen].name);
      EXPECT_EQ(value, sets[i].items()[seen].value);
      ++seen;
    });
    EXPECT_EQ(seen, sets[i].size());
  }
}

TEST(LabelSetsTest, ClearForgetsEverySet) {
  LabelSets sets;
  sets.Append(Labels{{"__name__", "a"}, {"job", "x"}});
  sets.Append(Labels{{"__name__", "b"}});
  sets.clear();
  EXPECT_TRUE(sets.empty());
  sets.Append(Labels{{"__name__", "c"}});
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets.At(0), (Labels{{"__name__", "c"}}));
}

TEST(LabelSetsTest, ComparesAsLabelsDo) {
  std::vector<Labels> sets = RandomSets(300, 2);
  sets.push_back(Labels());  // the empty set sorts first
  sets.push_back(sets[0]);   // equal sets compare equal
  LabelSets packed;
  for (const Labels& l : sets) packed.Append(l);
  size_t less = 0, equal = 0;
  for (size_t a = 0; a < sets.size(); ++a) {
    for (size_t b = 0; b < sets.size(); ++b) {
      std::weak_ordering want = sets[a] <=> sets[b];
      ASSERT_EQ(packed.Compare(a, b), want) << sets[a].ToString() << " vs " << sets[b].ToString();
      less += want < 0;
      equal += want == 0;
    }
  }
  // Not vacuous: both orders and equality occur.
  EXPECT_GT(less, 1000u);
  EXPECT_GE(equal, sets.size() + 2);
}

TEST(LabelSetsTest, HashesAndMatchesAsLabelsDo) {
  // RandomSets has values of up to 20 kB: sets past the 1 KiB stack copy too.
  std::vector<Labels> sets = RandomSets(300, 3);
  sets.push_back(Labels());
  LabelSets packed;
  for (const Labels& l : sets) packed.Append(l);
  size_t large = 0, equal = 0;
  for (size_t i = 0; i < sets.size(); ++i) {
    ASSERT_EQ(packed.Hash(i), sets[i].Hash()) << sets[i].ToString();
    large += sets[i].ToString().size() > 1024;
    for (size_t j = 0; j < sets.size(); ++j) {
      ASSERT_EQ(packed.Equals(i, sets[j]), sets[i] == sets[j]) << i << " " << j;
      equal += sets[i] == sets[j];
    }
  }
  EXPECT_GT(large, 10u);
  EXPECT_GE(equal, sets.size());
  // A prefix is not equal, in either direction.
  packed.AddLabel("__name__", "up");
  packed.EndSet();
  const size_t up = packed.size() - 1;
  EXPECT_FALSE(packed.Equals(up, Labels::FromSorted({{"__name__", "up"}, {"job", "a"}})));
  EXPECT_FALSE(packed.Equals(up, Labels()));
  EXPECT_TRUE(packed.Equals(up, Labels::FromSorted({{"__name__", "up"}})));
}

TEST(LabelSetsTest, BuildsASetLabelByLabel) {
  LabelSets packed;
  packed.AddLabel("__name__", "up");
  packed.AddLabel("job", "node");
  packed.EndSet();
  packed.EndSet();  // empty
  ASSERT_EQ(packed.size(), 2u);
  EXPECT_EQ(packed.At(0), (Labels{{"__name__", "up"}, {"job", "node"}}));
  EXPECT_EQ(packed.metric_name(0), "up");
  EXPECT_TRUE(packed.At(1).empty());
  EXPECT_EQ(packed.metric_name(1), "");
  EXPECT_FALSE(packed.IsEmpty(0));
  EXPECT_TRUE(packed.IsEmpty(1));
}

TEST(LabelSetsTest, CopiesASetFromAnother) {
  std::vector<Labels> sets = RandomSets(50, 3);
  sets.push_back(Labels());
  LabelSets from;
  for (const Labels& l : sets) from.Append(l);
  LabelSets to;
  to.Append(Labels{{"a", "1"}});
  for (size_t i = sets.size(); i-- > 0;) to.AppendFrom(from, i);
  ASSERT_EQ(to.size(), sets.size() + 1);
  EXPECT_EQ(to.At(0), (Labels{{"a", "1"}}));
  for (size_t i = 0; i < sets.size(); ++i) {
    EXPECT_EQ(to.At(sets.size() - i), sets[i]) << i;
    EXPECT_EQ(to.IsEmpty(sets.size() - i), sets[i].empty()) << i;
  }
}

}  // namespace
}  // namespace mytsdb::model
