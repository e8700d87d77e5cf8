// Time intervals: which instants an interval holds (business hours, days
// counted from the end of the month, clamping to short months, time zones
// with and without daylight saving time) and the errors Alertmanager 0.25
// gives for bad intervals.
#include "alertmanager/time_interval.h"

#include <absl/time/civil_time.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace mytsdb::alertmanager {
namespace {

TimeInterval Parse(const std::string& yaml) {
  auto ti = ParseTimeInterval(YAML::Load(yaml));
  EXPECT_TRUE(ti.ok()) << ti.status().ToString();
  return ti.ok() ? *ti : TimeInterval();
}

// A UTC wall-clock time, or one `offset_hours` east of UTC.
int64_t At(int y, int mo, int d, int h, int mi, int offset_hours = 0) {
  const absl::Time t = absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), absl::UTCTimeZone());
  return absl::ToUnixMillis(t - absl::Hours(offset_hours));
}

TEST(TimeIntervalTest, EmptyHoldsEverything) {
  const TimeInterval ti = Parse("{}");
  EXPECT_TRUE(ti.Contains(At(2006, 1, 2, 15, 4)));
  EXPECT_TRUE(ti.Contains(0));
}

TEST(TimeIntervalTest, BusinessHours) {
  const TimeInterval ti = Parse(R"(
times: [{start_time: "09:00", end_time: "17:00"}]
weekdays: ["monday:friday"]
)");
  EXPECT_TRUE(ti.Contains(At(2020, 5, 4, 15, 4)));    // Monday
  EXPECT_TRUE(ti.Contains(At(2020, 5, 5, 9, 0)));     // start is inclusive
  EXPECT_FALSE(ti.Contains(At(2020, 5, 5, 17, 0)));   // end is exclusive
  EXPECT_FALSE(ti.Contains(At(2020, 5, 4, 8, 59)));
  EXPECT_FALSE(ti.Contains(At(2020, 5, 3, 12, 0)));   // Sunday
  EXPECT_FALSE(ti.Contains(At(2020, 5, 9, 12, 0)));   // Saturday
}

TEST(TimeIntervalTest, DaysMonthsYears) {
  const TimeInterval easter = Parse(R"({days_of_month: ["4:6"], months: [april], years: ["2020"]})");
  EXPECT_TRUE(easter.Contains(At(2020, 4, 4, 15, 4)));
  EXPECT_TRUE(easter.Contains(At(2020, 4, 6, 23, 5)));
  EXPECT_FALSE(easter.Contains(At(2020, 4, 3, 23, 59)));
  EXPECT_FALSE(easter.Contains(At(2020, 4, 7, 0, 0)));
  EXPECT_FALSE(easter.Contains(At(2019, 4, 5, 0, 0)));
  EXPECT_FALSE(easter.Contains(At(2020, 6, 5, 0, 0)));
  // Months by number and name, any case; ranges of them.
  const TimeInterval summer = Parse(R"({months: ["6:AUGUST", "12"]})");
  EXPECT_TRUE(summer.Contains(At(2021, 7, 1, 0, 0)));
  EXPECT_TRUE(summer.Contains(At(2021, 12, 31, 0, 0)));
  EXPECT_FALSE(summer.Contains(At(2021, 9, 1, 0, 0)));
}

TEST(TimeIntervalTest, NegativeDaysCountFromTheEndOfTheMonth) {
  const TimeInterval last3 = Parse(R"({days_of_month: ["-3:-1"]})");
  EXPECT_TRUE(last3.Contains(At(2020, 1, 29, 15, 4)));
  EXPECT_TRUE(last3.Contains(At(2020, 1, 31, 15, 4)));
  EXPECT_TRUE(last3.Contains(At(2020, 2, 27, 0, 0)));  // 2020 is a leap year
  EXPECT_TRUE(last3.Contains(At(2020, 6, 30, 0, 0)));
  EXPECT_FALSE(last3.Contains(At(2020, 2, 26, 0, 0)));
  EXPECT_FALSE(last3.Contains(At(2020, 1, 28, 15, 4)));
  EXPECT_FALSE(last3.Contains(At(2020, 3, 1, 0, 0)));
  // Out-of-range days are clamped to the month, and a start past its end
  // holds nothing.
  // (A configuration cannot say -31:31; Alertmanager's own tests build it.)
  TimeInterval june = Parse(R"({months: [june]})");
  june.days_of_month = std::vector<InclusiveRange>{{-31, 31}};
  EXPECT_TRUE(june.Contains(At(2020, 6, 1, 0, 0)));
  EXPECT_TRUE(june.Contains(At(2020, 6, 30, 0, 0)));
  EXPECT_FALSE(june.Contains(At(2020, 5, 31, 0, 0)));
  const TimeInterval day31 = Parse(R"({days_of_month: ["31"]})");
  EXPECT_TRUE(day31.Contains(At(2020, 7, 31, 0, 0)));
  EXPECT_FALSE(day31.Contains(At(2020, 6, 30, 0, 0)));
}

TEST(TimeIntervalTest, TimeZones) {
  const TimeInterval sydney = Parse(R"(
times: [{start_time: "09:00", end_time: "17:00"}]
weekdays: ["monday:friday"]
location: Australia/Sydney
)");
  EXPECT_TRUE(sydney.Contains(At(2021, 4, 6, 13, 0, /*offset_hours=*/10)));
  EXPECT_FALSE(sydney.Contains(At(2021, 4, 6, 13, 0)));
  // Daylight saving time (UTC+11) in November.
  const TimeInterval november = Parse(R"(
times: [{start_time: "09:00", end_time: "17:00"}]
weekdays: ["monday:friday"]
months: [november]
location: Australia/Sydney
)");
  EXPECT_TRUE(november.Contains(At(2021, 11, 1, 9, 0, 11)));
  EXPECT_TRUE(november.Contains(At(2021, 10, 31, 22, 0)));
  EXPECT_FALSE(november.Contains(At(2021, 10, 31, 21, 0)));
}

TEST(TimeIntervalTest, EmptyListHoldsNothing) {
  EXPECT_FALSE(Parse("{weekdays: []}").Contains(At(2021, 1, 1, 0, 0)));
  EXPECT_TRUE(Parse("{weekdays: ~}").Contains(At(2021, 1, 1, 0, 0)));
}

TEST(TimeIntervalTest, NamedHoldsWhenOneHolds) {
  auto named = ParseNamedTimeInterval(YAML::Load(R"(
name: weekends
time_intervals:
  - weekdays: [saturday]
  - weekdays: [sunday]
)"));
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->name, "weekends");
  EXPECT_TRUE(named->Contains(At(2020, 5, 9, 12, 0)));
  EXPECT_TRUE(named->Contains(At(2020, 5, 10, 12, 0)));
  EXPECT_FALSE(named->Contains(At(2020, 5, 11, 12, 0)));
}

TEST(TimeIntervalTest, ErrorsAsAlertmanagerWordsThem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{times: [{start_time: '17:31', end_time: '17:31'}]}", "start time cannot be equal or greater than end time"},
      {"{times: [{start_time: '09:30', end_time: '07:41'}]}", "start time cannot be equal or greater than end time"},
      {"{times: [{start_time: '12:30', end_time: '24:01'}]}", "couldn't parse timestamp 24:01, invalid format"},
      {"{times: [{start_time: '14:03'}]}", "both start and end times must be provided"},
      {"{times: [{start_time: '9:00', end_time: '10:00'}]}", "couldn't parse timestamp 9:00, invalid format"},
      {"{weekdays: ['friday:monday']}", "start day cannot be before end day"},
      {"{weekdays: ['mon']}", "mon is not a valid weekday"},
      {"{weekdays: ['monday:tuesday:friday']}", "couldn't parse range monday:tuesday:friday, invalid format"},
      {"{days_of_month: ['0']}", "0 is not a valid day of the month: out of range"},
      {"{days_of_month: ['-32:-1']}", "-32 is not a valid day of the month: out of range"},
      {"{days_of_month: ['-3:5']}", "end day must be negative if start day is negative"},
      {"{days_of_month: ['10:2']}", "end day 2 is always before start day 10"},
      {"{days_of_month: ['x']}", "strconv.Atoi: parsing \"x\": invalid syntax"},
      {"{months: ['april:march']}", "end month march is before start month april"},
      {"{months: ['smarch']}", "smarch is not a valid month"},
      {"{years: ['2021:2020']}", "end year 2020 is before start year 2021"},
      {"{location: 'Mars/Olympus_Mons'}", "unknown time zone Mars/Olympus_Mons"},
      {"{weekday: [monday]}", "yaml: unmarshal errors:\n  line 1: field weekday not found in type timeinterval.TimeInterval"},
  };
  for (const auto& [yaml, message] : cases) {
    auto ti = ParseTimeInterval(YAML::Load(yaml));
    ASSERT_FALSE(ti.ok()) << yaml;
    EXPECT_EQ(ti.status().message(), message) << yaml;
  }
  auto unnamed = ParseNamedTimeInterval(YAML::Load("{time_intervals: [{weekdays: [monday]}]}"));
  ASSERT_FALSE(unnamed.ok());
  EXPECT_EQ(unnamed.status().message(), "missing name in time interval");
}

}  // namespace
}  // namespace mytsdb::alertmanager
