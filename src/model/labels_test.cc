#include "model/labels.h"

#include <gtest/gtest.h>

namespace mytsdb::model {
namespace {

TEST(LabelsTest, InitializerListSortsByName) {
  Labels ls{{"job", "api"}, {"__name__", "up"}, {"instance", "a:1"}};
  ASSERT_EQ(ls.size(), 3u);
  EXPECT_EQ(ls.items()[0].name, "__name__");
  EXPECT_EQ(ls.items()[2].name, "job");
  EXPECT_EQ(ls.metric_name(), "up");
  EXPECT_EQ(ls.Get("job"), "api");
  EXPECT_EQ(ls.Get("missing"), "");
  EXPECT_TRUE(ls.Validate().ok());
  EXPECT_EQ(ls.ToString(), "up{instance=\"a:1\", job=\"api\"}");
}

TEST(LabelsTest, ValidateRejectsWhatRemoteWriteRejects) {
  EXPECT_TRUE(Labels::FromSorted({{"job", "x"}}).Validate().IsInvalidArgument());  // no name
  EXPECT_TRUE(Labels::FromSorted({{"__name__", ""}}).Validate().IsInvalidArgument());
  auto unsorted = Labels::FromSorted({{"__name__", "m"}, {"b", "1"}, {"a", "2"}});
  EXPECT_NE(unsorted.Validate().message().find("not sorted"), std::string::npos);
  auto dup = Labels::FromSorted({{"__name__", "m"}, {"a", "1"}, {"a", "2"}});
  EXPECT_NE(dup.Validate().message().find("duplicate"), std::string::npos);
  auto empty_name = Labels::FromSorted({{"", "v"}, {"__name__", "m"}});
  EXPECT_TRUE(empty_name.Validate().IsInvalidArgument());
  auto bad_utf8 = Labels::FromSorted({{"__name__", "m"}, {"a", "\xff"}});
  EXPECT_TRUE(bad_utf8.Validate().IsInvalidArgument());
  // UTF-8 names are valid under Prometheus 3's default scheme, not legacy.
  auto dotted = Labels::FromSorted({{"__name__", "http.requests"}, {"k8s.pod", "p"}});
  EXPECT_TRUE(dotted.Validate(Labels::NameScheme::kUtf8).ok());
  EXPECT_TRUE(dotted.Validate(Labels::NameScheme::kLegacy).IsInvalidArgument());
}

TEST(LabelsTest, HashIsStableAndDistinguishesBoundaries) {
  Labels a{{"__name__", "m"}, {"ab", "c"}};
  Labels b{{"__name__", "m"}, {"a", "bc"}};
  EXPECT_EQ(a.Hash(), Labels({{"ab", "c"}, {"__name__", "m"}}).Hash());
  EXPECT_NE(a.Hash(), b.Hash());
}

// The hash is stored in the cold tier (series_id): its value for a given
// label set must never change, whichever way it is computed.
TEST(LabelsTest, HashIsTheStoredValueForSmallAndLargeLabelSets) {
  Labels up{{"__name__", "up"}, {"instance", "host-1:9100"}, {"job", "node"}};
  // XXH3_64bits("__name__\xffup\xffinstance\xffhost-1:9100\xffjob\xffnode\xff"),
  // as written by every earlier version.
  EXPECT_EQ(up.Hash(), up.StreamedHash());
  EXPECT_EQ(up.Hash(), 0x7bc7a1acf46c2e68ull) << std::hex << up.Hash();
  for (size_t value_bytes : {0, 1, 15, 16, 200, 480, 1000, 1010, 1011, 4096}) {
    Labels l{{"__name__", "m"}, {"a", std::string(value_bytes, 'x')}, {"b", "y"}};
    EXPECT_EQ(l.Hash(), l.StreamedHash()) << value_bytes;
  }
  Labels none;
  EXPECT_EQ(none.Hash(), none.StreamedHash());
}

TEST(Utf8Test, MatchesGoRules) {
  EXPECT_TRUE(IsValidUtf8("héllo ✓ 😀"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
}

}  // namespace
}  // namespace mytsdb::model

namespace mytsdb::model {
namespace {
TEST(LabelsTest, ErrorMessagesAreValidUtf8) {
  auto bad = Labels::FromSorted({{"__name__", "m"}, {"bad\xff", "v"}});
  Status st = bad.Validate();
  ASSERT_TRUE(st.IsInvalidArgument());
  EXPECT_TRUE(IsValidUtf8(st.message()));
  EXPECT_NE(st.message().find("bad\\xff"), std::string::npos) << st.message();
}
}  // namespace
}  // namespace mytsdb::model
