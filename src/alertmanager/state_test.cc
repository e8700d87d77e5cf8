// Alerts, silences and the notification log: merging an alert sent again,
// Alertmanager's rules for updating a silence, expiry and garbage
// collection, and both stores surviving a restart (or refusing a damaged
// file with its name).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "alertmanager/alert.h"
#include "alertmanager/notification_log.h"
#include "alertmanager/silences.h"
#include "io/file_system.h"

namespace mytsdb::alertmanager {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // ms

absl::Time T(int64_t seconds) { return absl::FromUnixMillis(kT0) + absl::Seconds(seconds); }

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("am_state_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Silences> OpenSilences() {
    auto s = Silences::Open({io::PosixFileSystem(), dir_ / "silences", &clock_, absl::Hours(1)});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  Silence Make(const std::string& matcher, int64_t start_s, int64_t end_s) {
    Silence s;
    s.matchers = *ParseMatchers(matcher);
    s.starts_at = T(start_s);
    s.ends_at = T(end_s);
    s.created_by = "me";
    s.comment = "c";
    return s;
  }

  std::filesystem::path dir_;
  io::ManualClock clock_{kT0};
};

TEST(AlertTest, FingerprintAndStrings) {
  Alert a;
  a.labels = model::Labels{{"alertname", "A"}, {"instance", "x"}};
  // Prometheus's FNV-1a fingerprint of the label set.
  EXPECT_EQ(FingerprintString(a.Fingerprint()), "cb611762f01ec6fc");
  EXPECT_EQ(FingerprintString(LabelsFingerprint(model::Labels())), "cbf29ce484222325");
  EXPECT_EQ(LabelSetString(model::Labels{{"a", "x\"y"}, {"b", "é\n"}}), "{a=\"x\\\"y\", b=\"é\\n\"}");
  EXPECT_EQ(FormatRfc3339(kZeroTime), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(absl::FromUnixMillis(kT0 + 120)), "2023-11-14T22:13:20.12Z");
  auto t = ParseRfc3339("2023-11-14T23:13:20.5+01:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(absl::ToUnixMillis(*t), kT0 + 500);
  EXPECT_FALSE(ParseRfc3339("yesterday").ok());
}

TEST(AlertTest, MergeKeepsEarliestStartAndTheSendersEnd) {
  Alert held;
  held.labels = model::Labels{{"alertname", "A"}};
  held.starts_at = T(0);
  held.ends_at = T(300);
  held.updated_at = T(0);
  held.timeout = true;
  Alert again = held;
  again.starts_at = T(60);
  again.ends_at = T(360);
  again.updated_at = T(60);
  ASSERT_TRUE(Overlaps(held, again));
  Alert merged = MergeAlerts(held, again);
  EXPECT_EQ(merged.starts_at, T(0));
  EXPECT_EQ(merged.ends_at, T(360));
  // An explicit later end of the older alert wins over a timeout.
  held.timeout = false;
  held.ends_at = T(900);
  again.timeout = true;
  EXPECT_EQ(MergeAlerts(held, again).ends_at, T(900));
  // Order of the arguments does not matter: the newer update is the base.
  EXPECT_EQ(MergeAlerts(again, held).updated_at, T(60));
  // No overlap: a new occurrence, not merged.
  Alert later = held;
  later.starts_at = T(1000);
  later.ends_at = T(2000);
  EXPECT_FALSE(Overlaps(held, later));
}

TEST(AlertTest, NotificationOrder) {
  auto alert = [](model::Labels l) {
    Alert a;
    a.labels = std::move(l);
    return a;
  };
  std::vector<Alert> alerts = {alert({{"alertname", "x"}, {"z", "1"}}), alert({{"alertname", "y"}}),
                               alert({{"instance", "b"}, {"job", "j"}}), alert({{"instance", "a"}, {"job", "j"}}),
                               alert({{"job", "a"}})};
  std::stable_sort(alerts.begin(), alerts.end(), AlertLess);
  EXPECT_EQ(alerts[0].labels.Get("job"), "a");
  EXPECT_EQ(alerts[1].labels.Get("instance"), "a");
  EXPECT_EQ(alerts[2].labels.Get("instance"), "b");
  // No job: after those, the set with fewer labels first.
  EXPECT_EQ(alerts[3].labels.Get("alertname"), "y");
  EXPECT_EQ(alerts[4].labels.Get("alertname"), "x");
}

TEST_F(StateTest, SilenceUpdateRules) {
  auto silences = OpenSilences();
  auto id = silences->Set(Make("team=db", 0, 3600));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  // Active: the end may move, the ID stays.
  clock_.Advance(10'000);
  Silence s = *silences->Get(*id);
  s.ends_at = T(7200);
  s.comment = "longer";
  auto same = silences->Set(s);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, *id);
  EXPECT_EQ(silences->Get(*id)->comment, "longer");
  // Other matchers: the old one expires, a new one is made.
  s.matchers = *ParseMatchers("team=web");
  auto other = silences->Set(s);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *id);
  // (Its end is now: expired from the next instant, as in Alertmanager.)
  EXPECT_EQ(silences->Get(*id)->StateAt(T(10)), SilenceState::kActive);
  EXPECT_EQ(silences->Get(*id)->StateAt(T(11)), SilenceState::kExpired);
  EXPECT_EQ(silences->Get(*other)->StateAt(T(11)), SilenceState::kActive);
  // Moving an active silence's start is a replacement too.
  Silence moved = *silences->Get(*other);
  moved.starts_at = T(5);
  EXPECT_NE(*silences->Set(moved), *other);
  // Unknown ID.
  Silence unknown = Make("a=b", 0, 10);
  unknown.id = "nope";
  EXPECT_TRUE(silences->Set(unknown).status().IsNotFound());
}

TEST_F(StateTest, SilenceValidationAndMuting) {
  auto silences = OpenSilences();
  auto check = [&](const std::string& matchers, const std::string& message) {
    auto r = silences->Set(Make(matchers, 0, 60));
    ASSERT_FALSE(r.ok()) << matchers;
    EXPECT_EQ(r.status().message(), message) << matchers;
  };
  check("a=\"\"", "silence invalid: at least one matcher must not match the empty string");
  check("a=~\".*\"", "silence invalid: at least one matcher must not match the empty string");
  Silence reversed = Make("a=b", 60, 0);
  EXPECT_EQ(silences->Set(reversed).status().message(), "silence invalid: end time must not be before start time");

  auto pending = silences->Set(Make("team=~\"d.*\"", 100, 200));
  ASSERT_TRUE(pending.ok());
  const model::Labels db{{"alertname", "X"}, {"team", "db"}};
  EXPECT_TRUE(silences->Mutes(db, T(50), nullptr).empty());
  EXPECT_EQ(silences->Mutes(db, T(150), nullptr), std::vector<std::string>{*pending});
  EXPECT_TRUE(silences->Mutes(model::Labels{{"team", "web"}}, T(150), nullptr).empty());
  // Expiring a pending silence ends it now; an expired one stays expired.
  ASSERT_TRUE(silences->Expire(*pending).ok());
  EXPECT_EQ(silences->Get(*pending)->StateAt(T(1)), SilenceState::kExpired);
  EXPECT_TRUE(silences->Expire(*pending).ok());
  EXPECT_TRUE(silences->Expire("nope").IsNotFound());
}

TEST_F(StateTest, RecurringSilenceMutesOnlyWithinItsIntervals) {
  auto silences = OpenSilences();
  Silence s = Make("job=batch", 0, 86400 * 30);
  s.time_intervals = {"nights"};
  auto id = silences->Set(s);
  ASSERT_TRUE(id.ok());
  const model::Labels labels{{"job", "batch"}};
  IntervalCheck night = [](const std::string& name, absl::Time t) {
    return name == "nights" && absl::ToCivilHour(t, absl::UTCTimeZone()).hour() < 6;
  };
  // kT0 is 22:13 UTC: not night; six hours later it is.
  EXPECT_TRUE(silences->Mutes(labels, T(60), night).empty());
  EXPECT_EQ(silences->Mutes(labels, T(6 * 3600), night).size(), 1u);
  // Without the interval (unknown name), it never mutes.
  EXPECT_TRUE(silences->Mutes(labels, T(6 * 3600), nullptr).empty());
  // Kept across a restart, intervals included.
  silences.reset();
  EXPECT_EQ(OpenSilences()->Get(*id)->time_intervals, std::vector<std::string>{"nights"});
}

TEST_F(StateTest, SilencesSurviveARestartAndAreCollected) {
  std::string id;
  {
    auto silences = OpenSilences();
    id = *silences->Set(Make("a=b", 0, 60));
    ASSERT_TRUE(silences->Set(Make("c=~\"d|e\"", 0, 7200)).ok());
  }
  auto silences = OpenSilences();
  ASSERT_EQ(silences->List().size(), 2u);
  EXPECT_EQ(MatchersString(silences->Get(id)->matchers), "{a=\"b\"}");
  // Retention is an hour: the first ends at 60 s and goes after 3660 s.
  clock_.Advance(3000'000);
  EXPECT_EQ(*silences->GarbageCollect(), 0u);
  clock_.Advance(700'000);
  EXPECT_EQ(*silences->GarbageCollect(), 1u);
  EXPECT_FALSE(silences->Get(id).has_value());
  EXPECT_EQ(OpenSilences()->List().size(), 1u);
}

TEST_F(StateTest, DamagedStateFileIsRefusedWithItsName) {
  { ASSERT_TRUE(OpenSilences()->Set(Make("a=b", 0, 60)).ok()); }
  const std::string path = (dir_ / "silences").string();
  std::string text;
  {
    std::ifstream in(path);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text[10] = text[10] == 'x' ? 'y' : 'x';
  std::ofstream(path) << text;
  auto s = Silences::Open({io::PosixFileSystem(), path, &clock_, absl::Hours(1)});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(path), std::string::npos);
  EXPECT_NE(s.status().message().find("checksum"), std::string::npos);
  std::ofstream(path) << "{}";
  s = Silences::Open({io::PosixFileSystem(), path, &clock_, absl::Hours(1)});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("no checksum line"), std::string::npos);
}

TEST_F(StateTest, NotificationLog) {
  const std::string path = (dir_ / "nflog").string();
  {
    auto log = NotificationLog::Open({io::PosixFileSystem(), path, &clock_, absl::Hours(10)});
    ASSERT_TRUE(log.ok());
    EXPECT_FALSE((*log)->Query("g", "r/webhook/0").has_value());
    ASSERT_TRUE((*log)->Log("g", "r/webhook/0", {1, 2}, {3}, absl::Hours(2)).ok());
  }
  auto log = NotificationLog::Open({io::PosixFileSystem(), path, &clock_, absl::Hours(10)});
  ASSERT_TRUE(log.ok());
  auto e = (*log)->Query("g", "r/webhook/0");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->timestamp, T(0));
  EXPECT_TRUE(e->IsFiringSubset({2}));
  EXPECT_FALSE(e->IsFiringSubset({2, 4}));
  EXPECT_TRUE(e->IsResolvedSubset({3}));
  EXPECT_FALSE((*log)->Query("g", "r/webhook/1").has_value());
  // Expires after the expiry given (two repeat intervals), not retention.
  clock_.Advance(2 * 3600'000 + 1);
  EXPECT_EQ(*(*log)->GarbageCollect(), 1u);
  EXPECT_EQ((*log)->size(), 0u);
}

}  // namespace
}  // namespace mytsdb::alertmanager
