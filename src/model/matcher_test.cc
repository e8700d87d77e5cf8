#include "model/matcher.h"

#include <gtest/gtest.h>

namespace mytsdb::model {
namespace {

TEST(MatcherTest, RegexIsFullyAnchored) {
  auto m = Matcher::Make(MatchType::kRegexMatch, "job", "api|web");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->Matches("api"));
  EXPECT_TRUE(m->Matches("web"));
  EXPECT_FALSE(m->Matches("api2"));
  EXPECT_FALSE(m->Matches("xapi"));
  EXPECT_FALSE(m->MatchesEmpty());
}

TEST(MatcherTest, DotMatchesNewline) {
  auto m = Matcher::Make(MatchType::kRegexMatch, "a", "x.y");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->Matches("x\ny"));
}

TEST(MatcherTest, NegativeAndEmpty) {
  auto ne = Matcher::Make(MatchType::kNotEqual, "a", "b");
  ASSERT_TRUE(ne.ok());
  EXPECT_TRUE(ne->MatchesEmpty());
  auto nre = Matcher::Make(MatchType::kRegexNoMatch, "a", ".+");
  ASSERT_TRUE(nre.ok());
  EXPECT_TRUE(nre->MatchesEmpty());
  EXPECT_FALSE(nre->Matches("x"));
}

TEST(MatcherTest, BadRegexIsAnError) {
  auto m = Matcher::Make(MatchType::kRegexMatch, "a", "(unclosed");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(m.status().IsInvalidArgument());
  EXPECT_NE(m.status().message().find("(unclosed"), std::string::npos);
}

}  // namespace
}  // namespace mytsdb::model
