#include "http/params.h"

#include <gtest/gtest.h>

namespace mytsdb::http {
namespace {

TEST(ParamsTest, Times) {
  EXPECT_EQ(*ParseTimeParam("t", "1700000000"), 1700000000000);
  EXPECT_EQ(*ParseTimeParam("t", "1700000000.1234"), 1700000000123);
  EXPECT_EQ(*ParseTimeParam("t", "-1.5"), -1500);
  EXPECT_EQ(*ParseTimeParam("t", "2023-11-14T22:13:20Z"), 1700000000000);
  EXPECT_EQ(*ParseTimeParam("t", "2023-11-14T22:13:20.5Z"), 1700000000500);
  EXPECT_EQ(*ParseTimeParam("t", "2023-11-15T00:13:20+02:00"), 1700000000000);
  auto bad = ParseTimeParam("start", "yesterday");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "invalid parameter \"start\": cannot parse \"yesterday\" to a valid timestamp");
  EXPECT_FALSE(ParseTimeParam("t", "inf").ok());
  EXPECT_FALSE(ParseTimeParam("t", "2023-13-14T22:13:20Z").ok());
  EXPECT_FALSE(ParseTimeRange("10", "5").ok());
}

TEST(ParamsTest, UnescapeLabelName) {
  EXPECT_EQ(*UnescapeLabelName("job"), "job");
  EXPECT_EQ(*UnescapeLabelName("U__http_2e_method"), "http.method");
  EXPECT_EQ(*UnescapeLabelName("U__a__b"), "a_b");
  EXPECT_EQ(*UnescapeLabelName("U___1f600_"), "😀");
  EXPECT_FALSE(UnescapeLabelName("U__a_zz_").ok());
  EXPECT_FALSE(UnescapeLabelName("U__a_2e").ok());
}

TEST(ParamsTest, MatchParams) {
  auto ok = ParseMatchParams({"up", "{job=\"a\"}"});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 2u);
  auto bad = ParseMatchParams({"up{"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("invalid parameter \"match[]\""), std::string::npos);
}

}  // namespace
}  // namespace mytsdb::http
