#include "cold/file_stats.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "cold/delta_protocol.h"

namespace mytsdb::cold {
namespace {

TEST(FileStatsTest, StatsColumnsAreTheFixedOnesAndTheFirstLabels) {
  std::vector<std::string> labels;
  for (int i = 0; i < 40; ++i) labels.push_back("l" + std::to_string(i));
  auto columns = StatsColumns(labels);
  ASSERT_EQ(columns.size(), kMaxStatsColumns);
  EXPECT_EQ(columns[0], "metric");
  EXPECT_EQ(columns[1], "series_id");
  EXPECT_EQ(columns[2], "ts");
  EXPECT_EQ(columns[3], "l0");
  EXPECT_EQ(columns.back(), "l28");
  // `value` never: NaN and ±Inf have no exact JSON bounds.
  EXPECT_EQ(std::find(columns.begin(), columns.end(), "value"), columns.end());
  EXPECT_EQ(StatsColumnsProperty({"metric", "a.b", "we`ird", "ok_1"}),
            "metric,`a.b`,`we``ird`,ok_1");
}

TEST(FileStatsTest, JsonHasEveryColumnAndBoundsOnlyWhereThereAreValues) {
  FileStats st;
  st.num_records = 10;
  st.min_metric = "a";
  st.max_metric = "b";
  st.min_series_id = -5;
  st.max_series_id = 7;
  st.min_ts = 1'767'225'600'000;
  st.max_ts = 1'767'225'600'123;
  st.labels["job"] = {std::make_pair(std::string("api"), std::string("web")), 4};
  st.labels["empty"] = {std::nullopt, 10};
  std::vector<std::string> columns = {"metric", "series_id", "ts", "job", "empty", "absent"};
  rapidjson::Document doc;
  std::string json = FileStatsJson(st, columns);
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  EXPECT_EQ(doc["numRecords"].GetInt64(), 10);
  EXPECT_STREQ(doc["minValues"]["metric"].GetString(), "a");
  EXPECT_STREQ(doc["maxValues"]["metric"].GetString(), "b");
  EXPECT_EQ(doc["minValues"]["series_id"].GetInt64(), -5);
  EXPECT_STREQ(doc["minValues"]["ts"].GetString(), "2026-01-01T00:00:00.000Z");
  EXPECT_STREQ(doc["maxValues"]["ts"].GetString(), "2026-01-01T00:00:00.123Z");
  EXPECT_STREQ(doc["maxValues"]["job"].GetString(), "web");
  EXPECT_EQ(doc["nullCount"]["job"].GetInt64(), 4);
  // All null: a null count, no bounds (as Delta writers do).
  EXPECT_FALSE(doc["minValues"].HasMember("empty"));
  EXPECT_EQ(doc["nullCount"]["empty"].GetInt64(), 10);
  // A column the file lacks is all null.
  EXPECT_EQ(doc["nullCount"]["absent"].GetInt64(), 10);
  EXPECT_EQ(StatsJsonColumns(json),
            (std::set<std::string>{"metric", "series_id", "ts", "job", "empty", "absent"}));
  EXPECT_TRUE(StatsJsonColumns("not json").empty());
}

TEST(FileStatsTest, LongStringsAreCutToBoundsThatStillHold) {
  std::string long_value(40, 'x');
  EXPECT_EQ(StatsMinString(long_value), std::string(32, 'x'));
  std::string max = StatsMaxString(long_value);
  EXPECT_EQ(max, std::string(32, 'x') + "\xF4\x8F\xBF\xBF");
  EXPECT_GT(max, long_value);
  EXPECT_EQ(StatsMaxString("short"), "short");
  // Characters, not bytes: 40 two-byte characters keep 32 of them.
  std::string umlauts;
  for (int i = 0; i < 40; ++i) umlauts += "\xC3\xA4";
  EXPECT_EQ(StatsMinString(umlauts).size(), 64u);
  // When the 33rd character is U+10FFFF itself no shorter bound exists.
  std::string edge = std::string(32, 'a') + "\xF4\x8F\xBF\xBF" + "z";
  EXPECT_EQ(StatsMaxString(edge), edge);
}

TEST(DeltaProtocolTest, ActionPathsMustStayInsideTheTable) {
  EXPECT_EQ(*DecodeActionPath("day=2026-01-01/part-1.parquet"), "day=2026-01-01/part-1.parquet");
  EXPECT_EQ(*DecodeActionPath("day=2026-01-01/a%20b.parquet"), "day=2026-01-01/a b.parquet");
  for (const char* bad : {"", "/etc/passwd", "../x.parquet", "day=1/../../x", "a//b", "./a",
                          "s3://bucket/x.parquet", "a%2", "a%zz", "a\\b"}) {
    EXPECT_FALSE(DecodeActionPath(bad).ok()) << bad;
  }
  EXPECT_FALSE(DecodeActionPath("a%2F..%2F..%2Fx").ok());  // decoded before it is checked
}

TEST(DeltaProtocolTest, UnknownFeaturesAreRefused) {
  EXPECT_TRUE(CheckProtocol({1, 2, {}, {}}).ok());
  EXPECT_TRUE(CheckProtocol({1, 7, {}, {"appendOnly", "invariants"}}).ok());
  Status dv = CheckProtocol({3, 7, {"deletionVectors"}, {"deletionVectors"}});
  EXPECT_EQ(dv.code(), StatusCode::kUnimplemented);
  EXPECT_NE(dv.message().find("deletionVectors"), std::string::npos);
  EXPECT_FALSE(CheckProtocol({2, 5, {}, {}}).ok());  // column mapping
  EXPECT_FALSE(CheckProtocol({1, 4, {}, {}}).ok());
  EXPECT_FALSE(CheckConfiguration({{"delta.appendOnly", "true"}}).ok());
  EXPECT_FALSE(CheckConfiguration({{"delta.constraints.positive", "value > 0"}}).ok());
  EXPECT_TRUE(CheckConfiguration({{"delta.dataSkippingStatsColumns", "metric"}}).ok());
  EXPECT_FALSE(CheckSchemaString(R"({"fields":[{"metadata":{"delta.invariants":"x"}}]})").ok());
}

}  // namespace
}  // namespace mytsdb::cold
