#include "promql/selector_parser.h"

#include <gtest/gtest.h>

namespace mytsdb::promql {
namespace {

std::string Render(const model::Matchers& ms) {
  std::string out;
  for (const auto& m : ms) out += m.ToString() + ";";
  return out;
}

TEST(SelectorParserTest, Forms) {
  EXPECT_EQ(Render(*ParseSeriesSelector("up")), "__name__=\"up\";");
  EXPECT_EQ(Render(*ParseSeriesSelector(" up { job = \"api\" , code!~'5..',} ")),
            "__name__=\"up\";job=\"api\";code!~\"5..\";");
  EXPECT_EQ(Render(*ParseSeriesSelector("{__name__=~\"http_.*\"}")), "__name__=~\"http_.*\";");
  EXPECT_EQ(Render(*ParseSeriesSelector("{\"http.requests\", \"k8s.pod\"=\"x\"}")),
            "__name__=\"http.requests\";k8s.pod=\"x\";");
  EXPECT_EQ(Render(*ParseSeriesSelector("job:rate5m{a=`raw\\n`}")),
            "__name__=\"job:rate5m\";a=\"raw\\\\n\";");
  EXPECT_EQ(Render(*ParseSeriesSelector("m{a=\"\\u00e9\\x41\\n\"}")), "__name__=\"m\";a=\"éA\n\";");
}

TEST(SelectorParserTest, Errors) {
  auto expect_error = [](std::string_view in, std::string_view words) {
    auto r = ParseSeriesSelector(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_TRUE(r.status().IsInvalidArgument());
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
  };
  expect_error("up{job=\"api\"", "1:13: parse error: unexpected end of input inside braces");
  expect_error("{job=\"\"}", "at least one non-empty matcher");
  expect_error("{job=~\".*\"}", "at least one non-empty matcher");
  expect_error("up{job=api}", "expected string");
  expect_error("up{job=~\"(\"}", "invalid regular expression");
  expect_error("up{job=\"a\\q\"}", "unknown escape sequence");
  expect_error("up}", "after the selector");
  expect_error("", "unexpected end of input");
  expect_error("up{\"a\",\"b\"}", "metric name must not be set twice");
}

}  // namespace
}  // namespace mytsdb::promql
