// The vectors' Delta table: rows survive a reopen bit for bit, updates
// rewrite only what changed, many updates are merged, and what the table
// does not know stops the start.
#include "search/vector_table.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace mytsdb::search {
namespace {

constexpr size_t kDim = 4;

VectorRow Row(std::string metric, std::string text, float x) {
  return {std::move(metric), std::move(text), {x, x + 1, x + 2, x + 3}};
}

std::map<std::string, VectorRow> All(const VectorTable& table) {
  std::map<std::string, VectorRow> out;
  EXPECT_TRUE(table.ForEach([&](const VectorRow& r) { out[r.metric] = r; }).ok());
  return out;
}

class VectorTableTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::path(testing::TempDir()) / "vectors").string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<VectorTable> Open(const std::string& model = "m1") {
    auto t = VectorTable::Open(dir_, model, kDim);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t.MoveValue() : nullptr;
  }
  std::string dir_;
};

TEST_F(VectorTableTest, RowsSurviveAReopenAndUpdatesReplaceThem) {
  auto t = Open();
  ASSERT_NE(t, nullptr);
  const std::vector<VectorRow> first = {Row("a", "text a", 1), Row("b", "text b", 2), Row("c", "text c", 3)};
  ASSERT_TRUE(t->Update(first, {}).ok());
  ASSERT_TRUE(t->Update(std::vector<VectorRow>{Row("d", "text d", 4)}, {}).ok());
  EXPECT_EQ(t->files(), 2u);  // the new row went to a file of its own

  // "b" changes, "c" goes: the first file is rewritten without them.
  ASSERT_TRUE(t->Update(std::vector<VectorRow>{Row("b", "text b2", 20)}, std::vector<std::string>{"c"}).ok());
  EXPECT_EQ(t->files(), 2u);
  t.reset();
  t = Open();
  ASSERT_NE(t, nullptr);
  const auto rows = All(*t);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.at("a").embedding, first[0].embedding);
  EXPECT_EQ(rows.at("b").text, "text b2");
  EXPECT_EQ(rows.at("b").embedding, (std::vector<float>{20, 21, 22, 23}));
  EXPECT_EQ(rows.at("d").text, "text d");
  EXPECT_EQ(t->texts().size(), 3u);
  EXPECT_EQ(t->texts().at("a"), "text a");

  // Another model's rows are not loaded: they are to be replaced.
  t.reset();
  t = Open("m2");
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->texts().empty());
  ASSERT_TRUE(t->Update(std::vector<VectorRow>{Row("a", "text a", 9)}, {}).ok());
  EXPECT_EQ(All(*t).size(), 1u);
}

TEST_F(VectorTableTest, ManySmallUpdatesAreMerged) {
  auto t = Open();
  ASSERT_NE(t, nullptr);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(t->Update(std::vector<VectorRow>{Row("m" + std::to_string(i), "t", static_cast<float>(i))}, {}).ok());
    EXPECT_LE(t->files(), VectorTable::kMaxFiles);
  }
  EXPECT_EQ(All(*t).size(), 20u);
}

TEST_F(VectorTableTest, DeletesWhatItLeftUnfinishedAndRefusesWhatItDoesNotKnow) {
  {
    auto t = Open();
    ASSERT_NE(t, nullptr);
    ASSERT_TRUE(t->Update(std::vector<VectorRow>{Row("a", "text a", 1)}, {}).ok());
  }
  const auto never_committed = std::filesystem::path(dir_) / "part-1-0000000000000000.parquet";
  const auto unfinished = std::filesystem::path(dir_) / "part-2-0000000000000000.parquet.tmp";
  std::ofstream(never_committed) << "x";
  std::ofstream(unfinished) << "x";
  {
    auto t = Open();
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->texts().size(), 1u);
  }
  EXPECT_FALSE(std::filesystem::exists(never_committed));
  EXPECT_FALSE(std::filesystem::exists(unfinished));

  const auto stranger = std::filesystem::path(dir_) / "notes.txt";
  std::ofstream(stranger) << "mine";
  auto refused = VectorTable::Open(dir_, "m1", kDim);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(stranger.string()), std::string::npos) << refused.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(stranger));
}

}  // namespace
}  // namespace mytsdb::search
