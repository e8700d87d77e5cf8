#include "http/message.h"

#include <gtest/gtest.h>

namespace mytsdb::http {
namespace {

TEST(MessageTest, UrlEncodedParametersAndPaths) {
  std::vector<std::pair<std::string, std::string>> params;
  ParseUrlEncoded("match%5B%5D=up%7Bjob%3D%22a%22%7D&match[]=b&empty=&flag&q=a+b%2Bc&&bad=%zz", &params);
  ASSERT_EQ(params.size(), 6u);
  EXPECT_EQ(params[0], (std::pair<std::string, std::string>{"match[]", "up{job=\"a\"}"}));
  EXPECT_EQ(params[1].second, "b");
  EXPECT_EQ(params[2], (std::pair<std::string, std::string>{"empty", ""}));
  EXPECT_EQ(params[3], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(params[4].second, "a b+c");
  EXPECT_EQ(params[5].second, "%zz");  // kept as it is
  EXPECT_EQ(DecodePath("/api/v1/label/U__a%2Eb/values"), "/api/v1/label/U__a.b/values");
  EXPECT_EQ(DecodePath("/a+b"), "/a+b");
}

TEST(MessageTest, RequestAndResponseAccessors) {
  Request req;
  req.params = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  req.headers = {{"Content-Type", "text/plain"}};
  EXPECT_TRUE(req.has_param("a"));
  EXPECT_FALSE(req.has_param("c"));
  EXPECT_EQ(req.get_param_value_count("a"), 2u);
  EXPECT_EQ(req.get_param_value("a", 1), "3");
  EXPECT_EQ(req.get_param_value("a", 2), "");
  EXPECT_EQ(req.get_header_value("content-type"), "text/plain");
  Response res;
  res.set_content("x", "application/json");
  res.set_header("content-type", "text/plain");
  EXPECT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.get_header_value("Content-Type"), "text/plain");
}

}  // namespace
}  // namespace mytsdb::http
