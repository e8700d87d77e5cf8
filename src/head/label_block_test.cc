#include "head/label_block.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mytsdb::head {
namespace {

// A block of `labels` in `storage`.
LabelBlock Write(const model::Labels& labels, std::vector<char>* storage) {
  storage->assign(LabelBlock::BytesFor(labels), '\x55');
  LabelBlock::Write(labels, storage->data());
  return LabelBlock(storage->data());
}

std::vector<std::pair<std::string, std::string>> Pairs(const LabelBlock& b) {
  std::vector<std::pair<std::string, std::string>> out;
  b.ForEach([&](std::string_view n, std::string_view v) { out.emplace_back(n, v); });
  return out;
}

TEST(LabelBlockTest, HoldsTheLabelsInOrderInOneSmallBlock) {
  model::Labels ls{{"__name__", "container_memory_working_set_bytes"},
                   {"namespace", "ns-12"},
                   {"pod", "pod-12345-6"}};
  std::vector<char> storage;
  LabelBlock b = Write(ls, &storage);
  EXPECT_EQ(Pairs(b), (std::vector<std::pair<std::string, std::string>>{
                          {"__name__", "container_memory_working_set_bytes"},
                          {"namespace", "ns-12"},
                          {"pod", "pod-12345-6"}}));
  EXPECT_EQ(b.ToLabels(), ls);
  // 4 bytes of size, a length byte for each string and the strings.
  EXPECT_EQ(b.bytes(), 4 + 6 + 8 + 34 + 9 + 5 + 3 + 11);
  EXPECT_EQ(storage.size(), b.bytes());
}

TEST(LabelBlockTest, EqualsOnlyTheSameLabels) {
  model::Labels ls{{"__name__", "up"}, {"instance", "a:1"}, {"job", "node"}};
  std::vector<char> storage, empty_storage;
  LabelBlock b = Write(ls, &storage);
  EXPECT_TRUE(b.Equals(ls));
  EXPECT_FALSE(b.Equals(model::Labels{{"__name__", "up"}, {"instance", "a:1"}}));  // a prefix
  EXPECT_FALSE(b.Equals(model::Labels{{"__name__", "up"}, {"instance", "a:1"}, {"job", "node"},
                                      {"zone", "x"}}));  // one more
  EXPECT_FALSE(b.Equals(model::Labels{{"__name__", "up"}, {"instance", "a:1"}, {"job", "nodf"}}));
  EXPECT_FALSE(b.Equals(model::Labels{{"__name__", "up"}, {"instancf", "a:1"}, {"job", "node"}}));
  // The same bytes split differently between name and value.
  EXPECT_FALSE(b.Equals(model::Labels{{"__name__", "u"}, {"pinstance", "a:1"}, {"job", "node"}}));
  EXPECT_FALSE(b.Equals(model::Labels{}));
  LabelBlock empty = Write(model::Labels{}, &empty_storage);
  EXPECT_EQ(empty.bytes(), 4u);
  EXPECT_TRUE(empty.Equals(model::Labels{}));
  EXPECT_FALSE(empty.Equals(ls));
  EXPECT_TRUE(Pairs(empty).empty());
}

TEST(LabelBlockTest, LongAndEmptyStrings) {
  // Lengths of 127, 128 and 20,000 bytes take one, two and three length bytes.
  model::Labels ls{{"__name__", std::string(127, 'a')},
                   {"b", std::string(128, 'b')},
                   {"c", std::string(20'000, 'c')},
                   {"d", ""}};
  std::vector<char> storage;
  LabelBlock b = Write(ls, &storage);
  EXPECT_EQ(b.bytes(), 4 + (1 + 8 + 1 + 127) + (1 + 1 + 2 + 128) + (1 + 1 + 3 + 20'000) + (1 + 1 + 1));
  EXPECT_TRUE(b.Equals(ls));
  EXPECT_EQ(b.ToLabels(), ls);
}

}  // namespace
}  // namespace mytsdb::head
