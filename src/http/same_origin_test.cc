#include "http/same_origin.h"

#include <gtest/gtest.h>

namespace mytsdb::http {
namespace {

TEST(SameOriginTest, ReadsAlwaysPass) {
  for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
    EXPECT_FALSE(IsCrossSiteWrite(method, "https://evil.example", "cross-site", "127.0.0.1:9663")) << method;
  }
}

TEST(SameOriginTest, ClientsThatAreNotBrowsersPass) {
  EXPECT_FALSE(IsCrossSiteWrite("POST", "", "", "127.0.0.1:9663"));
  EXPECT_FALSE(IsCrossSiteWrite("DELETE", "", "", "127.0.0.1:9663"));
}

TEST(SameOriginTest, TheUiItselfPasses) {
  EXPECT_FALSE(IsCrossSiteWrite("POST", "http://127.0.0.1:9663", "same-origin", "127.0.0.1:9663"));
  EXPECT_FALSE(IsCrossSiteWrite("POST", "http://127.0.0.1:9663", "", "127.0.0.1:9663"));
  EXPECT_FALSE(IsCrossSiteWrite("DELETE", "HTTPS://MyTSDB.example.com", "", "mytsdb.example.com"));
  // Typed into the address bar or a bookmark: no initiator.
  EXPECT_FALSE(IsCrossSiteWrite("POST", "", "none", "127.0.0.1:9663"));
}

TEST(SameOriginTest, OtherSitesAreRefused) {
  EXPECT_TRUE(IsCrossSiteWrite("POST", "", "cross-site", "127.0.0.1:9663"));
  EXPECT_TRUE(IsCrossSiteWrite("POST", "https://a.example.com", "same-site", "b.example.com"));
  EXPECT_TRUE(IsCrossSiteWrite("POST", "https://evil.example", "", "127.0.0.1:9663"));
  EXPECT_TRUE(IsCrossSiteWrite("DELETE", "http://127.0.0.1:8080", "", "127.0.0.1:9663"));
  EXPECT_TRUE(IsCrossSiteWrite("PUT", "null", "", "127.0.0.1:9663"));
  EXPECT_TRUE(IsCrossSiteWrite("POST", "garbage", "", "127.0.0.1:9663"));
}

TEST(SameOriginTest, BehindAProxyTheExternalUrlCounts) {
  // The proxy passes its own Host; the browser's Origin is the public one.
  EXPECT_FALSE(IsCrossSiteWrite("POST", "https://tsdb.example.com", "same-origin", "127.0.0.1:9663",
                                "tsdb.example.com"));
  EXPECT_TRUE(IsCrossSiteWrite("POST", "https://evil.example", "", "127.0.0.1:9663", "tsdb.example.com"));
  EXPECT_EQ(UrlHost("https://tsdb.example.com:8443/prom"), "tsdb.example.com:8443");
  EXPECT_EQ(UrlHost("tsdb.example.com"), "");
}

}  // namespace
}  // namespace mytsdb::http
