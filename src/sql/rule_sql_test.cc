// Rules whose condition is SQL: the query's syntax is checked without
// running it, and its rows become the rule's elements (labels from the
// columns, the value from `value`), at the evaluation time given as
// $eval_time, over both tiers.
#include "sql/rule_sql.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "io/clock.h"
#include "sql/engine.h"
#include "storage/storage.h"

namespace mytsdb::sql {
namespace {

namespace fs = std::filesystem;
using model::Labels;
using model::Sample;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
const int64_t kStart = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
const int64_t kNow = kStart + 8 * kDay;

// The example of docs/RULES.md: customers whose requests in the last hour
// are fewer than half of the same hour a week ago (one sample of
// request_latency_seconds per request).
constexpr const char* kWeekOverWeek = R"sql(
WITH per_customer AS (
  SELECT customer_id,
         count(*) FILTER (WHERE ts > $eval_time - INTERVAL 1 HOUR) AS this_hour,
         count(*) FILTER (WHERE ts <= $eval_time - INTERVAL 7 DAYS) AS week_ago
  FROM samples
  WHERE metric = 'request_latency_seconds'
    AND (ts > $eval_time - INTERVAL 1 HOUR
         OR ts BETWEEN $eval_time - INTERVAL 7 DAYS - INTERVAL 1 HOUR + INTERVAL 1 MILLISECOND
                   AND $eval_time - INTERVAL 7 DAYS)
  GROUP BY customer_id)
SELECT customer_id AS customer, this_hour AS value, week_ago
FROM per_customer
WHERE this_hour < 0.5 * week_ago
)sql";

class RuleSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rule_sql_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    storage::StorageOptions options;
    options.data_dir = dir_.string();
    options.head.wal.fsync_mode = wal::FsyncMode::kNever;
    options.persist_check_interval = std::chrono::milliseconds(0);
    options.clock = &clock_;
    auto s = storage::Storage::Open(options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(*s);
    auto engine = SqlEngine::Open(storage_.get(), dir_.string(), {.threads = 2});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
  }
  void TearDown() override {
    engine_.reset();
    storage_.reset();
    fs::remove_all(dir_);
  }
  // `n` requests of `customer` spread over the hour that ends at `end`.
  void Requests(const std::string& customer, int64_t end, int n) {
    Labels labels{{"__name__", "request_latency_seconds"}, {"customer_id", customer}};
    std::vector<Sample> samples;
    for (int i = 0; i < n; ++i) samples.push_back({end - kHour + (i + 1) * (kHour / (n + 1)), 0.1 * (i % 7)});
    head::SeriesSamples item{&labels, samples};
    storage::StorageAppendResult r;
    ASSERT_TRUE(storage_->Append({&item, 1}, {}, &r).ok());
    ASSERT_EQ(r.rejected(), 0u);
  }
  Result<std::vector<promql::SeriesResult>> Run(const std::string& sql, int64_t t = kNow) {
    return RunRuleSql(*engine_, sql, t, {});
  }

  fs::path dir_;
  io::ManualClock clock_{kNow};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<SqlEngine> engine_;
};

TEST(CheckRuleSqlTest, OneSelectWhoseOnlyParameterIsTheEvaluationTime) {
  EXPECT_TRUE(CheckRuleSql(kWeekOverWeek).ok());
  EXPECT_TRUE(CheckRuleSql("SELECT 1 AS value").ok());
  EXPECT_TRUE(CheckRuleSql("select 1 as value where now() > $EVAL_TIME").ok());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"SELECT 1 AS value; SELECT 2 AS value", "one statement, not 2"},
      {"", "one statement, not 0"},
      {"DELETE FROM samples", "only a SELECT"},
      {"COPY (SELECT 1) TO 'x.csv'", "only a SELECT"},
      {"SELECT $1 AS value", "the parameter $1 is not known"},
      {"SELECT 1 AS value WHERE $evaltime > 0", "the parameter $evaltime is not known"},
      {"SELEC 1", "syntax error"},
  };
  for (const auto& [sql, want] : bad) {
    Status st = CheckRuleSql(sql);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << sql;
    EXPECT_NE(st.message().find(want), std::string::npos) << sql << ": " << st.message();
  }
}

TEST_F(RuleSqlTest, TheWeekOverWeekExampleFindsTheCustomerWhoseTrafficHalved) {
  // A week ago and in the last hour, with the hours before each, which
  // must not count; each series in time order.
  Requests("halved", kNow - 7 * kDay - kHour, 50);
  Requests("steady", kNow - 7 * kDay, 40);
  Requests("halved", kNow - 7 * kDay, 40);
  Requests("halved", kNow - kHour, 50);
  Requests("steady", kNow, 38);
  Requests("halved", kNow, 15);
  Requests("new", kNow, 10);
  auto rows = Run(kWeekOverWeek);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].labels, (Labels{{"customer", "halved"}, {"week_ago", "40"}}));
  ASSERT_EQ((*rows)[0].points.size(), 1u);
  EXPECT_EQ((*rows)[0].points[0].t, kNow);
  EXPECT_EQ((*rows)[0].points[0].v, 15);
  // An hour earlier, "halved" had its 50 requests, as many as a week
  // before that: nobody is below half.
  rows = Run(kWeekOverWeek, kNow - kHour);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->size(), 0u);
}

TEST_F(RuleSqlTest, ColumnsBecomeLabelsAndValue) {
  auto rows = Run(R"(SELECT * FROM (VALUES
      ('a', 1.5, TIMESTAMPTZ '2026-01-02 03:04:05.678+00', NULL),
      ('b', 2, NULL, 'x'),
      ('', 3, NULL, NULL),
      ('d', NULL, NULL, NULL)) t(name, value, stamp, extra))");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);  // the row with a NULL value is none
  EXPECT_EQ((*rows)[0].labels, (Labels{{"name", "a"}, {"stamp", "2026-01-02T03:04:05.678Z"}}));
  EXPECT_EQ((*rows)[0].points[0].v, 1.5);
  EXPECT_EQ((*rows)[1].labels, (Labels{{"extra", "x"}, {"name", "b"}}));
  EXPECT_EQ((*rows)[2].labels, Labels());
  EXPECT_EQ((*rows)[2].points[0].v, 3);
  // The evaluation time is a TIMESTAMP WITH TIME ZONE.
  rows = Run("SELECT $eval_time AS stamp, epoch_ms($eval_time) AS value", kStart + 1);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].labels, (Labels{{"stamp", "2026-01-01T00:00:00.001Z"}}));
  EXPECT_EQ((*rows)[0].points[0].v, static_cast<double>(kStart + 1));
}

TEST_F(RuleSqlTest, ResultsThatAreNoVectorAreErrors) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"SELECT 1 AS v", "no column named value"},
      {"SELECT 'x' AS value", "must be numeric, not VARCHAR"},
      {"SELECT 1 AS value, 2 AS value", "two columns are named value"},
      {"SELECT 'a' AS k, 1 AS value UNION ALL SELECT 'a', 2", "two rows have the labels {k=\"a\"}"},
      {"SELECT 1 AS value FROM no_such_table", "no_such_table"},
      {"SELECT 1 / 0 AS value WHERE $nope IS NULL", "$nope"},
  };
  for (const auto& [sql, want] : bad) {
    auto rows = Run(sql);
    ASSERT_FALSE(rows.ok()) << sql;
    EXPECT_NE(rows.status().message().find(want), std::string::npos) << sql << ": " << rows.status().message();
  }
  auto many = RunRuleSql(*engine_, "SELECT i::VARCHAR AS i, 1 AS value FROM range(10) t(i)", kNow, {}, 5);
  EXPECT_EQ(many.status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace mytsdb::sql
