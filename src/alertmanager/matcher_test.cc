// Alertmanager's matcher syntax, parsed as Alertmanager 0.25 parses it
// (the cases of its documentation and its tolerances), and printed as it
// prints it.
#include "alertmanager/matcher.h"

#include <gtest/gtest.h>

namespace mytsdb::alertmanager {
namespace {

TEST(MatcherTest, ParsesTheDocumentedForms) {
  struct Case {
    std::string input;
    std::string printed;  // the matchers as Alertmanager prints them
  };
  const std::vector<Case> cases = {
      {R"({foo = "bar", dings != "bums", })", R"({foo="bar",dings!="bums"})"},
      {"foo=bar,dings!=bums", R"({foo="bar",dings!="bums"})"},
      {"foo=bar, dings!=bums", R"({foo="bar",dings!="bums"})"},
      {R"({quote="She said: \"Hi, ladies! That's gender-neutral…\""})",
       R"({quote="She said: \"Hi, ladies! That's gender-neutral…\""})"},
      {R"(statuscode=~"5..")", R"({statuscode=~"5.."})"},
      {"tags=~\"a,b\", x!~y", R"({tags=~"a,b",x!~"y"})"},
      {"empty=", R"({empty=""})"},
      {R"(nl="a\nb")", R"({nl="a\nb"})"},
      {R"(spurious="a\qb")", R"({spurious="a\\qb"})"},
      {R"(trailing=a\)", R"({trailing="a\\"})"},
      {"  spaced   =~   x.*   ", R"({spaced=~"x.*"})"},
  };
  for (const Case& c : cases) {
    auto m = ParseMatchers(c.input);
    ASSERT_TRUE(m.ok()) << c.input << ": " << m.status().ToString();
    EXPECT_EQ(MatchersString(*m), c.printed) << c.input;
  }
}

TEST(MatcherTest, RefusesWhatAlertmanagerRefuses) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"foo", "bad matcher format: foo"},
      {"0foo=bar", "bad matcher format: 0foo=bar"},
      {R"(a="b)", R"(matcher value contains unescaped double quote: "b)"},
      {R"(a=b"c)", R"(matcher value contains unescaped double quote: b"c)"},
      {"a=~(", "error parsing regexp"},
      {"a=b,,c=d", "bad matcher format: "},
  };
  for (const auto& [input, want] : cases) {
    auto m = ParseMatchers(input);
    ASSERT_FALSE(m.ok()) << input;
    EXPECT_NE(m.status().message().find(want), std::string::npos) << input << ": " << m.status().message();
  }
}

TEST(MatcherTest, MatchesAsAlertmanagerDoes) {
  const model::Labels labels{{"env", "prod"}, {"service", "mysql"}};
  auto match = [&](const std::string& s) { return MatchesAll(*ParseMatchers(s), labels); };
  EXPECT_TRUE(match(R"(env="prod")"));
  EXPECT_FALSE(match(R"(env="prod2")"));
  EXPECT_TRUE(match(R"(service=~"my.*")"));
  EXPECT_FALSE(match(R"(service=~"my")"));  // anchored
  EXPECT_TRUE(match(R"(absent="")"));      // an absent label is ""
  EXPECT_TRUE(match(R"(absent!~".+")"));
  EXPECT_FALSE(match(R"(env!="prod")"));
  EXPECT_TRUE(match("{}"));
}

}  // namespace
}  // namespace mytsdb::alertmanager
