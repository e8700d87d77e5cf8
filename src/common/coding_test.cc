#include "common/coding.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <vector>

namespace mytsdb::coding {
namespace {

using std::numeric_limits;

TEST(CodingTest, FixedIsLittleEndian) {
  std::string buf;
  PutFixed32(&buf, 0xdeadbeef);
  PutFixed64(&buf, 0x0123456789abcdefULL);
  EXPECT_EQ(buf, std::string("\xef\xbe\xad\xde\xef\xcd\xab\x89\x67\x45\x23\x01", 12));
  std::string_view in = buf;
  uint32_t f32;
  uint64_t f64;
  ASSERT_TRUE(GetFixed32(&in, &f32));
  ASSERT_TRUE(GetFixed64(&in, &f64));
  EXPECT_EQ(f32, 0xdeadbeefu);
  EXPECT_EQ(f64, 0x0123456789abcdefULL);
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, VarintBytes) {
  auto enc = [](uint64_t v) {
    std::string s;
    PutVarint64(&s, v);
    return s;
  };
  EXPECT_EQ(enc(0), std::string("\x00", 1));
  EXPECT_EQ(enc(1), "\x01");
  EXPECT_EQ(enc(127), "\x7f");
  EXPECT_EQ(enc(128), "\x80\x01");
  EXPECT_EQ(enc(300), "\xac\x02");
  EXPECT_EQ(enc(numeric_limits<uint64_t>::max()), "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
  std::string s32;
  PutVarint32(&s32, numeric_limits<uint32_t>::max());
  EXPECT_EQ(s32, "\xff\xff\xff\xff\x0f");
}

TEST(CodingTest, VarintRoundTripsAndLength) {
  std::vector<uint64_t> values = {0, 1, 127, 128, 16383, 16384, (1ULL << 32) - 1, 1ULL << 32,
                                  1ULL << 35, (1ULL << 63) - 1, 1ULL << 63,
                                  numeric_limits<uint64_t>::max()};
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) values.push_back(rng() >> (rng() % 64));
  std::string buf;
  for (uint64_t v : values) {
    size_t before = buf.size();
    PutVarint64(&buf, v);
    EXPECT_EQ(buf.size() - before, size_t(VarintLength(v))) << v;
  }
  std::string_view in = buf;
  for (uint64_t want : values) {
    uint64_t v;
    ASSERT_TRUE(GetVarint64(&in, &v));
    EXPECT_EQ(v, want);
  }
  EXPECT_TRUE(in.empty());

  std::string buf32;
  std::vector<uint32_t> values32 = {0, 1, 127, 128, 1u << 28, numeric_limits<uint32_t>::max()};
  for (uint32_t v : values32) PutVarint32(&buf32, v);
  in = buf32;
  for (uint32_t want : values32) {
    uint32_t v;
    ASSERT_TRUE(GetVarint32(&in, &v));
    EXPECT_EQ(v, want);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, ZigZag) {
  EXPECT_EQ(ZigZagEncode(0), 0u);
  EXPECT_EQ(ZigZagEncode(-1), 1u);
  EXPECT_EQ(ZigZagEncode(1), 2u);
  EXPECT_EQ(ZigZagEncode(-2), 3u);
  EXPECT_EQ(ZigZagEncode(numeric_limits<int64_t>::max()), numeric_limits<uint64_t>::max() - 1);
  EXPECT_EQ(ZigZagEncode(numeric_limits<int64_t>::min()), numeric_limits<uint64_t>::max());
  std::string buf;
  std::vector<int64_t> values = {0, -1, 1, -64, 64, numeric_limits<int64_t>::min(),
                                 numeric_limits<int64_t>::max(), -1700000000000};
  for (int64_t v : values) PutVarsint64(&buf, v);
  std::string_view in = buf;
  for (int64_t want : values) {
    int64_t v;
    ASSERT_TRUE(GetVarsint64(&in, &v));
    EXPECT_EQ(v, want);
  }
  EXPECT_TRUE(in.empty());
  // Small magnitudes of either sign take one byte.
  std::string one;
  PutVarsint64(&one, -64);
  EXPECT_EQ(one.size(), 1u);
}

TEST(CodingTest, LengthPrefixed) {
  std::string buf;
  PutLengthPrefixed(&buf, "hello");
  PutLengthPrefixed(&buf, "");
  PutLengthPrefixed(&buf, std::string(200, 'x'));
  std::string_view in = buf, s;
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, "hello");
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, "");
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, std::string(200, 'x'));
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, TruncationIsRefusedAtEveryLength) {
  std::string buf;
  PutFixed32(&buf, 7);
  PutFixed64(&buf, 8);
  PutVarint64(&buf, 1ULL << 40);
  PutVarint32(&buf, 1u << 30);
  PutVarsint64(&buf, -(1LL << 50));
  PutLengthPrefixed(&buf, "payload");
  // Decoding the whole sequence from any strict prefix must fail somewhere,
  // and never read past the prefix (ASan would see that: the copy is exact).
  for (size_t len = 0; len < buf.size(); ++len) {
    std::string prefix = buf.substr(0, len);
    std::string_view in = prefix;
    uint32_t a, d;
    uint64_t b, c;
    int64_t e;
    std::string_view f;
    bool ok = GetFixed32(&in, &a) && GetFixed64(&in, &b) && GetVarint64(&in, &c) &&
              GetVarint32(&in, &d) && GetVarsint64(&in, &e) && GetLengthPrefixed(&in, &f);
    EXPECT_FALSE(ok) << len;
  }
}

TEST(CodingTest, OverflowIsRefused) {
  uint64_t v64;
  uint32_t v32;
  // 11 bytes.
  std::string eleven(10, '\x80');
  eleven += '\x01';
  std::string_view in = eleven;
  EXPECT_FALSE(GetVarint64(&in, &v64));
  // Ten bytes whose last carries more than bit 63.
  std::string big(9, '\xff');
  big += '\x02';
  in = big;
  EXPECT_FALSE(GetVarint64(&in, &v64));
  // 2^32 does not fit a varint32.
  std::string s;
  PutVarint64(&s, 1ULL << 32);
  in = s;
  EXPECT_FALSE(GetVarint32(&in, &v32));
  // Six bytes for a varint32.
  std::string six(5, '\x80');
  six += '\x00';
  in = six;
  EXPECT_FALSE(GetVarint32(&in, &v32));
  // A length past the end, including one that would overflow size_t arithmetic.
  std::string lp;
  PutVarint64(&lp, 100);
  lp += "short";
  in = lp;
  std::string_view str;
  EXPECT_FALSE(GetLengthPrefixed(&in, &str));
  lp.clear();
  PutVarint64(&lp, numeric_limits<uint64_t>::max());
  lp += "x";
  in = lp;
  EXPECT_FALSE(GetLengthPrefixed(&in, &str));
}

}  // namespace
}  // namespace mytsdb::coding
