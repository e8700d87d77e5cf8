#include "common/coding.h"

#include <gtest/gtest.h>

#include <limits>

namespace mytsdb::coding {
namespace {

TEST(CodingTest, RoundTrips) {
  std::string buf;
  PutFixed32(&buf, 0xdeadbeef);
  PutFixed64(&buf, 0x0123456789abcdefULL);
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 35,
                     std::numeric_limits<uint64_t>::max()}) {
    PutVarint64(&buf, v);
  }
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    PutVarsint64(&buf, v);
  }
  PutLengthPrefixed(&buf, "hello");
  std::string_view in = buf;
  uint32_t f32;
  uint64_t f64, v;
  int64_t sv;
  std::string_view s;
  ASSERT_TRUE(GetFixed32(&in, &f32));
  EXPECT_EQ(f32, 0xdeadbeefu);
  ASSERT_TRUE(GetFixed64(&in, &f64));
  EXPECT_EQ(f64, 0x0123456789abcdefULL);
  for (uint64_t want : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 35,
                        std::numeric_limits<uint64_t>::max()}) {
    ASSERT_TRUE(GetVarint64(&in, &v));
    EXPECT_EQ(v, want);
  }
  for (int64_t want : {int64_t{0}, int64_t{-1}, int64_t{1}, std::numeric_limits<int64_t>::min(),
                       std::numeric_limits<int64_t>::max()}) {
    ASSERT_TRUE(GetVarsint64(&in, &sv));
    EXPECT_EQ(sv, want);
  }
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, "hello");
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, TruncationAndOverflowAreRefused) {
  std::string buf;
  PutVarint64(&buf, 1ULL << 40);
  for (size_t len = 0; len < buf.size(); ++len) {
    std::string_view in(buf.data(), len);
    uint64_t v;
    EXPECT_FALSE(GetVarint64(&in, &v)) << len;
  }
  std::string overflow(10, '\xff');
  overflow += '\x01';
  std::string_view in = overflow;
  uint64_t v;
  EXPECT_FALSE(GetVarint64(&in, &v));
  std::string lp;
  PutVarint64(&lp, 100);
  lp += "short";
  in = lp;
  std::string_view s;
  EXPECT_FALSE(GetLengthPrefixed(&in, &s));
  in = "abc";
  uint32_t f;
  EXPECT_FALSE(GetFixed32(&in, &f));
}

}  // namespace
}  // namespace mytsdb::coding
