#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace mytsdb::crc32c {
namespace {

using ExtendFn = uint32_t (*)(uint32_t, const void*, size_t);

uint32_t ValueWith(ExtendFn fn, std::string_view s) { return fn(0, s.data(), s.size()); }

// Runs a check with every implementation this CPU can run.
std::vector<std::pair<const char*, ExtendFn>> Implementations() {
  std::vector<std::pair<const char*, ExtendFn>> impls = {{"dispatch", &Extend},
                                                         {"portable", &ExtendPortable}};
  if (IsHardwareAccelerated()) impls.push_back({"sse4.2", &ExtendHardware});
  return impls;
}

TEST(Crc32cTest, KnownVectors) {
  // RFC 3720 (iSCSI) appendix B.4 and the common check value.
  std::string ascending(32, '\0'), descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  for (auto [name, fn] : Implementations()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(ValueWith(fn, "123456789"), 0xE3069283u);
    EXPECT_EQ(ValueWith(fn, std::string(32, '\0')), 0x8A9136AAu);
    EXPECT_EQ(ValueWith(fn, std::string(32, '\xff')), 0x62A8AB43u);
    EXPECT_EQ(ValueWith(fn, ascending), 0x46DD794Eu);
    EXPECT_EQ(ValueWith(fn, descending), 0x113FDB5Cu);
    EXPECT_EQ(ValueWith(fn, ""), 0u);
    EXPECT_EQ(ValueWith(fn, "a"), 0xC1D04330u);
  }
}

TEST(Crc32cTest, ImplementationsAgreeAtEveryLengthAndAlignment) {
  std::mt19937 rng(5);
  std::string buf(600, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; len + offset <= 300; ++len) {
      const char* p = buf.data() + offset;
      uint32_t want = ExtendPortable(0, p, len);
      EXPECT_EQ(Value(p, len), want) << offset << "/" << len;
      if (IsHardwareAccelerated()) EXPECT_EQ(ExtendHardware(0, p, len), want);
    }
  }
}

TEST(Crc32cTest, ExtendComposes) {
  std::string s = "hello, write-ahead log";
  for (auto [name, fn] : Implementations()) {
    for (size_t split = 0; split <= s.size(); ++split) {
      EXPECT_EQ(fn(fn(0, s.data(), split), s.data() + split, s.size() - split), Value(s))
          << name << " split " << split;
    }
  }
}

TEST(Crc32cTest, DetectsSingleBitFlips) {
  std::string s(64, 'x');
  uint32_t base = Value(s);
  for (size_t bit = 0; bit < s.size() * 8; ++bit) {
    std::string t = s;
    t[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    EXPECT_NE(Value(t), base) << bit;
  }
}

TEST(Crc32cTest, MaskRoundTripsAndChangesTheValue) {
  uint32_t crc = Value("foo");
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
  for (uint32_t v : {0u, 1u, 0xffffffffu, 0x80000000u}) EXPECT_EQ(Unmask(Mask(v)), v);
}

}  // namespace
}  // namespace mytsdb::crc32c
