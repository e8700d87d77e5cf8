#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace mytsdb::crc32c {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Value("123456789"), 0xE3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones), 0x62A8AB43u);
  EXPECT_EQ(Value(""), 0u);
}

TEST(Crc32cTest, HardwareAndPortableAgreeAndExtendComposes) {
  std::mt19937 rng(5);
  for (int len = 0; len < 300; ++len) {
    std::string s(len, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    uint32_t whole = Value(s);
    EXPECT_EQ(whole, ExtendPortable(0, s.data(), s.size())) << len;
    size_t split = len / 3;
    EXPECT_EQ(whole, Extend(Extend(0, s.data(), split), s.data() + split, s.size() - split));
  }
}

}  // namespace
}  // namespace mytsdb::crc32c
