// MyTSDB's SQL tables over a real Storage: the rows are the samples PromQL's
// read path returns, from the head, the cold tier or both, without
// staleness markers and with duplicates resolved as everywhere else; the
// filters that narrow the read keep every row they should.
#include "sql/tables.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <thread>
#include <tuple>
#include <string>
#include <vector>

#include "io/clock.h"
#include "model/sample.h"
#include "promql/engine.h"
#include "promql/parser.h"
#include "query/storage_queryable.h"
#include "sql/sandbox.h"
#include "storage/storage.h"

namespace mytsdb::sql {
namespace {

namespace fs = std::filesystem;
using model::Labels;
using model::Sample;

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;
const int64_t kStart = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

class SqlTablesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sql_tables_" + std::to_string(::getpid()) + "_" +
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
    const storage::Storage* storage = storage_.get();
    auto sandbox = SqlSandbox::Open(
        {.allowed_directory = (dir_ / "parquet").string(),
         .threads = 2,
         .setup = [storage, this](duckdb::Connection& con) {
           return RegisterTables(con, storage, promql::EngineOptions(), &counters_);
         }});
    ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
    sql_ = std::move(*sandbox);
  }
  void TearDown() override {
    sql_.reset();
    storage_.reset();
    fs::remove_all(dir_);
  }

  void Append(const Labels& labels, const std::vector<Sample>& samples) {
    head::SeriesSamples item{&labels, samples};
    storage::StorageAppendResult r;
    Status st = storage_->Append({&item, 1}, {}, &r);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_EQ(r.rejected(), 0u);
  }

  QueryResult Query(const std::string& sql) {
    Result<QueryResult> r = sql_->Query(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() ? *r : QueryResult{};
  }
  // The one value a query returns.
  std::string Scalar(const std::string& sql) {
    QueryResult r = Query(sql);
    if (r.rows.size() != 1 || r.rows[0].size() != 1 || !r.rows[0][0]) {
      ADD_FAILURE() << sql << ": not one value";
      return "";
    }
    return *r.rows[0][0];
  }

  // count and sum of every sample, as the storage's read path (PromQL's)
  // returns them, staleness markers left out.
  std::pair<int64_t, double> ReadPathCountAndSum() {
    model::Matchers ms = {*model::Matcher::Make(model::MatchType::kRegexMatch, "__name__", ".+")};
    storage::SeriesSelection series = storage_->Select(ms, {});
    std::vector<std::vector<Sample>> samples;
    EXPECT_TRUE(storage_->ReadSamples(series, 0, series.size(), {}, &samples).ok());
    int64_t count = 0;
    double sum = 0;
    for (const auto& s : samples) {
      for (const Sample& x : s) {
        if (model::IsStaleNaN(x.value)) continue;
        ++count;
        sum += x.value;
      }
    }
    return {count, sum};
  }

  fs::path dir_;
  ScanCounters counters_;
  io::ManualClock clock_{kStart + 10 * kDay};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<SqlSandbox> sql_;
};

// Samples at kStart + i minutes, values v0 + i.
std::vector<Sample> Minutes(int64_t from, int count, double v0) {
  std::vector<Sample> out;
  for (int i = 0; i < count; ++i) out.push_back({kStart + (from + i) * 60'000, v0 + i});
  return out;
}

TEST_F(SqlTablesTest, SamplesHasOneRowPerSampleWithItsLabelsAsColumnsAndAMap) {
  Append(Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a:9100"}}, Minutes(0, 3, 1));
  Append(Labels{{"__name__", "temp"}, {"room", "attic"}}, Minutes(1, 2, 20.5));
  QueryResult r = Query(
      "SELECT metric, ts, value, job, instance, room, labels, series_id = hash_check "
      "FROM (SELECT *, series_id AS hash_check FROM samples) ORDER BY metric, ts");
  ASSERT_EQ(r.columns.size(), 8u);
  EXPECT_EQ(r.types[1], "TIMESTAMP WITH TIME ZONE");
  EXPECT_EQ(r.types[6], "MAP(VARCHAR, VARCHAR)");
  ASSERT_EQ(r.rows.size(), 5u);
  EXPECT_EQ(*r.rows[0][0], "temp");
  EXPECT_EQ(*r.rows[0][1], "2026-01-01 00:01:00+00");
  EXPECT_EQ(*r.rows[0][2], "20.5");
  EXPECT_FALSE(r.rows[0][3].has_value());  // no job label: NULL
  EXPECT_EQ(*r.rows[0][5], "attic");
  EXPECT_EQ(*r.rows[0][6], "{room=attic}");
  EXPECT_EQ(*r.rows[2][0], "up");
  EXPECT_EQ(*r.rows[2][3], "api");
  EXPECT_EQ(*r.rows[2][4], "a:9100");
  EXPECT_EQ(*r.rows[4][2], "3.0");
  EXPECT_EQ(*r.rows[4][6], "{instance='a:9100', job=api}");
  // series_id is the cold tier's: the hash of the full label set.
  const uint64_t id = Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a:9100"}}.Hash();
  EXPECT_EQ(Scalar("SELECT DISTINCT series_id FROM samples WHERE metric = 'up'"),
            std::to_string(static_cast<int64_t>(id)));
}

TEST_F(SqlTablesTest, TimesAreUtcWhateverTheMachinesZone) {
  // The sandbox was opened under this test binary's zone; set another one
  // for a second database and read the same instant.
  Append(Labels{{"__name__", "x"}}, Minutes(0, 1, 1));
  ::setenv("TZ", "Asia/Kolkata", 1);
  ::tzset();
  const storage::Storage* storage = storage_.get();
  auto other = SqlSandbox::Open({.allowed_directory = (dir_ / "parquet").string(),
                                 .setup = [storage](duckdb::Connection& con) {
                                   return RegisterTables(con, storage, promql::EngineOptions());
                                 }});
  ::unsetenv("TZ");
  ::tzset();
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  for (SqlSandbox* sandbox : {sql_.get(), other->get()}) {
    auto r = sandbox->Query("SELECT ts, ts = TIMESTAMP '2026-01-01 00:00:00', current_setting('TimeZone') FROM samples");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r->rows[0][0], "2026-01-01 00:00:00+00");
    EXPECT_EQ(*r->rows[0][1], "true");
    EXPECT_EQ(*r->rows[0][2], "UTC");
  }
}

TEST_F(SqlTablesTest, HeadColdAndMixedDataAgreeWithTheReadPath) {
  // 200 series over a day and a half: two days of the cold tier after a
  // flush, then more in the head.
  for (int s = 0; s < 200; ++s) {
    Append(Labels{{"__name__", s % 2 ? "a_total" : "b"}, {"s", std::to_string(s)}},
           Minutes(0, 36 * 60, s));
  }
  auto check = [&](const char* stage) {
    auto [count, sum] = ReadPathCountAndSum();
    ASSERT_GT(count, 0) << stage;
    EXPECT_EQ(Scalar("SELECT count(*) FROM samples"), std::to_string(count)) << stage;
    EXPECT_NEAR(std::stod(Scalar("SELECT sum(value) FROM samples")), sum, std::abs(sum) * 1e-12)
        << stage;
  };
  check("head only");
  ASSERT_TRUE(storage_->Flush().ok());
  ASSERT_EQ(storage_->head_stats().num_series, 0u);
  check("cold only");
  for (int s = 0; s < 200; s += 3) {
    Append(Labels{{"__name__", s % 2 ? "a_total" : "b"}, {"s", std::to_string(s)}},
           Minutes(36 * 60, 60, s));
  }
  check("mixed");
  EXPECT_EQ(Scalar("SELECT count(*) FROM samples WHERE metric = 'a_total' AND s = '3'"),
            std::to_string(36 * 60 + 60));
  EXPECT_EQ(Scalar("SELECT count(DISTINCT series_id) FROM samples"), "200");
}

TEST_F(SqlTablesTest, StalenessMarkersAreNotRowsButOtherNaNsAre) {
  std::vector<Sample> samples = Minutes(0, 4, 1);
  samples[1].value = model::StaleNaN();
  samples[2].value = std::nan("");
  Append(Labels{{"__name__", "x"}}, samples);
  EXPECT_EQ(Scalar("SELECT count(*) FROM samples"), "3");
  EXPECT_EQ(Scalar("SELECT count(*) FROM samples WHERE isnan(value)"), "1");
  ASSERT_TRUE(storage_->Flush().ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM samples"), "3");
}

TEST_F(SqlTablesTest, FiltersOnMetricLabelsAndTimeKeepExactlyTheirRows) {
  for (int s = 0; s < 20; ++s) {
    Append(Labels{{"__name__", "m" + std::to_string(s % 4)}, {"customer", "c" + std::to_string(s % 5)}},
           Minutes(0, 3 * 24 * 60, s));
  }
  ASSERT_TRUE(storage_->Flush().ok());
  for (int s = 0; s < 20; ++s) {
    Append(Labels{{"__name__", "m" + std::to_string(s % 4)}, {"customer", "c" + std::to_string(s % 5)}},
           Minutes(3 * 24 * 60, 60, s));
  }
  // Each filter against the same one applied to all rows (a subquery the
  // bounds cannot see through is not narrowed).
  const char* filters[] = {
      "metric = 'm1'",
      "metric IN ('m1', 'm3') AND customer = 'c2'",
      "customer != 'c1'",
      "ts >= TIMESTAMPTZ '2026-01-02 00:00:00+00' AND ts < TIMESTAMPTZ '2026-01-02 06:30:00.5+00'",
      "ts BETWEEN TIMESTAMPTZ '2026-01-03 23:59:00+00' AND TIMESTAMPTZ '2026-01-04 00:10:00+00'",
      "TIMESTAMPTZ '2026-01-02 12:00:00+00' > ts AND metric = 'm2'",
      "ts = TIMESTAMPTZ '2026-01-01 00:07:00+00'",
      "ts > now()",
      "metric = 'm1' AND metric = 'm2'",
      "customer = ''",
      "metric = 'm0' OR customer = 'c4'",
      "ts > TIMESTAMP '2026-01-03 00:00:00'",
      "ts > TIMESTAMPTZ '2026-01-02 00:00:00.0005+00' AND ts <= TIMESTAMPTZ '2026-01-02 00:03:00.9995+00'",
      "ts >= TIMESTAMPTZ '2026-01-02 00:00:00.0005+00' AND ts < TIMESTAMPTZ '2026-01-02 00:03:00.0005+00'",
      "ts < TIMESTAMPTZ 'infinity' AND ts > TIMESTAMPTZ '-infinity'",
      "ts = TIMESTAMPTZ '2026-01-01 00:07:00.0001+00'",
  };
  int with_rows = 0;
  for (const char* f : filters) {
    const std::string what = "count(*) || '/' || coalesce(sum(value), 0)";
    const std::string narrowed = Scalar("SELECT " + what + " FROM samples WHERE " + f);
    const std::string all =
        Scalar("SELECT " + what + " FROM (SELECT * FROM samples LIMIT 1000000000) WHERE " + f);
    EXPECT_EQ(narrowed, all) << f;
    if (narrowed.substr(0, 2) != "0/") ++with_rows;
  }
  EXPECT_GE(with_rows, 11);
  EXPECT_EQ(Scalar("SELECT count(*) FROM samples WHERE metric = 'm1'"), std::to_string(5 * (3 * 24 * 60 + 60)));
}

TEST_F(SqlTablesTest, FiltersNarrowWhatIsRead) {
  for (int s = 0; s < 40; ++s) {
    Append(Labels{{"__name__", "m" + std::to_string(s % 4)}, {"customer", "c" + std::to_string(s % 5)},
                  {"s", std::to_string(s)}},
           Minutes(0, 3 * 24 * 60, s));
  }
  ASSERT_TRUE(storage_->Flush().ok());
  const uint64_t all = 40 * 3 * 24 * 60;
  // What a query read: {series, samples}.
  auto read = [&](const std::string& where) {
    const uint64_t series = counters_.series, samples = counters_.samples;
    Query("SELECT count(*), sum(value) FROM samples WHERE " + where);
    return std::pair<uint64_t, uint64_t>{counters_.series - series, counters_.samples - samples};
  };
  EXPECT_EQ(read("true"), std::make_pair(uint64_t{40}, all));
  EXPECT_EQ(read("metric = 'm1'"), std::make_pair(uint64_t{10}, all / 4));
  EXPECT_EQ(read("metric = 'm1' AND customer = 'c1'"), std::make_pair(uint64_t{2}, all / 20));
  EXPECT_EQ(read("metric IN ('m1', 'm2') AND customer IN ('c1', 'c3')"),
            std::make_pair(uint64_t{8}, all / 5));
  // One day of three, read one UTC day at a time (the file's pages of the
  // other days are not read either).
  EXPECT_EQ(read("ts >= TIMESTAMPTZ '2026-01-02 00:00:00+00' AND ts < TIMESTAMPTZ '2026-01-03 00:00:00+00'"),
            std::make_pair(uint64_t{40}, all / 3));
  EXPECT_EQ(read("metric = 'm3' AND ts BETWEEN TIMESTAMPTZ '2026-01-03 00:00:00+00' AND TIMESTAMPTZ '2026-01-03 00:59:59+00'"),
            std::make_pair(uint64_t{10}, uint64_t{10 * 60}));
  EXPECT_EQ(read("metric = 'nope'"), std::make_pair(uint64_t{0}, uint64_t{0}));
  EXPECT_EQ(read("ts < TIMESTAMPTZ '2000-01-01 00:00:00+00'"), std::make_pair(uint64_t{0}, uint64_t{0}));
  // A disjunction is not narrowed: every series is read, the rows are right.
  EXPECT_EQ(read("metric = 'm1' OR customer = 'c1'").first, 40u);
}

TEST_F(SqlTablesTest, BackfilledDuplicatesResolveAsTheReadPathResolvesThem) {
  const Labels labels{{"__name__", "g"}};
  // Three hours in the head, then the first hour again with other values:
  // older than the head accepts, so backfilled to the cold tier, where the
  // head's samples win; then again, where the later backfill wins.
  Append(labels, Minutes(0, 180, 0));
  Append(labels, Minutes(0, 30, 1000));
  EXPECT_GT(storage_->backfilled_samples(), 0u);
  Append(labels, Minutes(0, 20, 5000));
  auto [count, sum] = ReadPathCountAndSum();
  EXPECT_EQ(count, 180);
  EXPECT_EQ(Scalar("SELECT count(*) FROM samples"), "180");
  EXPECT_EQ(Scalar("SELECT sum(value) FROM samples"), std::to_string(static_cast<int64_t>(sum)) + ".0");
  EXPECT_EQ(Scalar("SELECT max(value) FROM samples"), "179.0");  // the head's first hour won
  // Once the head is persisted too, its block is the newest file and wins.
  ASSERT_TRUE(storage_->Flush().ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM samples"), "180");
  EXPECT_EQ(Scalar("SELECT max(value) FROM samples"), "179.0");
  // A backfill of timestamps only cold files hold: the last commit wins.
  Append(labels, Minutes(0, 10, 7000));
  Append(labels, Minutes(0, 5, 9000));
  EXPECT_EQ(Scalar("SELECT count(*) FROM samples"), "180");
  EXPECT_EQ(Scalar("SELECT count(*) FROM samples WHERE value >= 9000"), "5");
  EXPECT_EQ(Scalar("SELECT count(*) FROM samples WHERE value >= 7000 AND value < 9000"), "5");
  std::tie(count, sum) = ReadPathCountAndSum();
  EXPECT_EQ(Scalar("SELECT sum(value) FROM samples"), std::to_string(static_cast<int64_t>(sum)) + ".0");
}

TEST_F(SqlTablesTest, AFlushOrCompactionDuringQueriesNeitherHidesNorDoublesASample) {
  // Six parts of 4 hours over a day, series by series: once one series'
  // part is in the head, the next one's is more than half a block older
  // than the newest sample, so it is backfilled as a file of its own; 300
  // files for compaction to merge, and a head that a flush persists, while
  // queries run.
  for (int part = 0; part < 6; ++part) {
    for (int s = 0; s < 50; ++s) {
      Append(Labels{{"__name__", "c"}, {"s", std::to_string(s)}}, Minutes(part * 240, 240, s));
    }
    ASSERT_TRUE(storage_->Flush().ok());
  }
  for (int s = 0; s < 50; ++s) {
    Append(Labels{{"__name__", "c"}, {"s", std::to_string(s)}}, Minutes(24 * 60, 120, s));
  }
  const auto [count, sum] = ReadPathCountAndSum();
  ASSERT_EQ(count, 50 * (24 * 60 + 120));
  const std::string expected = std::to_string(count) + "/" + std::to_string(static_cast<int64_t>(sum));
  const std::string query = "SELECT count(*) || '/' || sum(value)::BIGINT FROM samples";
  ASSERT_EQ(Scalar(query), expected);
  const uint64_t files_before = storage_->cold_stats().files;
  std::atomic<bool> done{false};
  std::atomic<int> started{0};
  std::thread maintenance([&] {
    // Once a query is running: under a sanitizer a query can take longer
    // than the whole maintenance, which then ran before any.
    while (started.load() == 0) std::this_thread::yield();
    EXPECT_TRUE(storage_->Flush().ok());
    EXPECT_TRUE(storage_->Compact().ok());
    done = true;
  });
  int queries = 0;
  while (!done) {
    started.fetch_add(1);
    EXPECT_EQ(Scalar(query), expected) << "query " << queries;
    ++queries;
  }
  maintenance.join();
  // Queries ran while the flush and the compaction did.
  EXPECT_GE(queries, 1);
  EXPECT_EQ(storage_->head_stats().num_series, 0u);
  EXPECT_LT(storage_->cold_stats().files, files_before);
  EXPECT_EQ(Scalar(query), expected);
}

TEST_F(SqlTablesTest, SeriesHasOneRowPerSeriesWithItsFirstAndLastSample) {
  Append(Labels{{"__name__", "up"}, {"job", "api"}}, Minutes(0, 10, 1));
  Append(Labels{{"__name__", "up"}, {"job", "web"}}, Minutes(5, 3, 1));
  ASSERT_TRUE(storage_->Flush().ok());
  Append(Labels{{"__name__", "up"}, {"job", "api"}}, Minutes(10, 5, 1));
  Append(Labels{{"__name__", "temp"}, {"room", "attic"}}, Minutes(7, 1, 1));
  QueryResult r = Query("SELECT metric, job, room, labels, first_ts, last_ts FROM series ORDER BY metric, job");
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(*r.rows[0][0], "temp");
  EXPECT_FALSE(r.rows[0][1].has_value());
  EXPECT_EQ(*r.rows[0][2], "attic");
  EXPECT_EQ(*r.rows[0][4], "2026-01-01 00:07:00+00");
  EXPECT_EQ(*r.rows[0][5], "2026-01-01 00:07:00+00");
  EXPECT_EQ(*r.rows[1][1], "api");
  EXPECT_EQ(*r.rows[1][3], "{job=api}");
  EXPECT_EQ(*r.rows[1][4], "2026-01-01 00:00:00+00");  // in a file
  EXPECT_EQ(*r.rows[1][5], "2026-01-01 00:14:00+00");  // in the head
  EXPECT_EQ(*r.rows[2][4], "2026-01-01 00:05:00+00");
  EXPECT_EQ(*r.rows[2][5], "2026-01-01 00:07:00+00");
  EXPECT_EQ(Scalar("SELECT count(*) FROM series WHERE metric = 'up'"), "2");
  EXPECT_EQ(Scalar("SELECT series_id FROM series WHERE job = 'web'"),
            std::to_string(static_cast<int64_t>(Labels{{"__name__", "up"}, {"job", "web"}}.Hash())));
  // A filter on the metric narrows the read of the samples beneath.
  const uint64_t before = counters_.series;
  Query("SELECT * FROM series WHERE metric = 'temp'");
  EXPECT_EQ(counters_.series - before, 1u);
}

TEST_F(SqlTablesTest, PromqlReturnsThePointsOfTheEnginesAnswer) {
  for (int s = 0; s < 6; ++s) {
    std::vector<Sample> samples;
    for (int i = 0; i < 120; ++i) samples.push_back({kStart + i * 15'000, double(i * (s + 1) % 50)});
    Append(Labels{{"__name__", "req_total"}, {"job", s % 2 ? "api" : "web"}, {"i", std::to_string(s)}},
           samples);
  }
  ASSERT_TRUE(storage_->Flush().ok());
  const char* query = "sum by (job) (rate(req_total[5m]))";
  // The engine's own answer, through the storage.
  query::StorageQueryable data(*storage_);
  promql::Engine engine;
  auto expr = promql::ParseExpr(query);
  ASSERT_TRUE(expr.ok());
  auto want = engine.Range(data, **expr, kStart + 300'000, kStart + 1'800'000, 60'000);
  ASSERT_TRUE(want.ok());
  std::map<std::string, std::vector<std::string>> expected;  // job -> "ms=value"
  size_t points = 0;
  for (const auto& series : want->series) {
    for (const auto& p : series.points) {
      expected[std::string(series.labels.Get("job"))].push_back(std::to_string(p.t) + "=" + std::to_string(p.v));
      ++points;
    }
  }
  ASSERT_EQ(expected.size(), 2u);
  ASSERT_GT(points, 40u);
  QueryResult r = Query(std::string("SELECT job, epoch_ms(ts), value, metric, labels FROM promql('") + query +
                        "', TIMESTAMPTZ '2026-01-01 00:05:00+00', TIMESTAMPTZ '2026-01-01 00:30:00+00', "
                        "INTERVAL 1 MINUTE) ORDER BY job, ts");
  std::map<std::string, std::vector<std::string>> got;
  for (const auto& row : r.rows) {
    got[*row[0]].push_back(*row[1] + "=" + std::to_string(std::stod(*row[2])));
    EXPECT_FALSE(row[3].has_value());  // sum drops the name
    EXPECT_EQ(*row[4], "{job=" + *row[0] + "}");
  }
  EXPECT_EQ(got, expected);
  // Joined and grouped in SQL like any table.
  EXPECT_EQ(Scalar(std::string("SELECT count(DISTINCT job) FROM promql('") + query +
                   "', TIMESTAMPTZ '2026-01-01 00:30:00+00')"),
            "2");
  // The instant form, with the metric name and each label as a column.
  QueryResult instant = Query(
      "SELECT metric, job, i, value FROM promql('req_total', TIMESTAMPTZ '2026-01-01 00:29:45+00') ORDER BY i");
  ASSERT_EQ(instant.rows.size(), 6u);
  EXPECT_EQ(*instant.rows[0][0], "req_total");
  EXPECT_EQ(*instant.rows[1][1], "api");
  EXPECT_EQ(*instant.rows[5][3], std::to_string(119 * 6 % 50) + ".0");
  // A scalar is one unlabelled row a step.
  EXPECT_EQ(Scalar("SELECT sum(value) FROM promql('1 + 1', TIMESTAMPTZ '2026-01-01 00:00:00+00', "
                   "TIMESTAMPTZ '2026-01-01 00:02:00+00', INTERVAL 1 MINUTE)"),
            "6.0");
}

TEST_F(SqlTablesTest, PromqlErrorsAreTheStatementsErrors) {
  Append(Labels{{"__name__", "x"}}, Minutes(0, 3, 1));
  struct Case {
    std::string sql;
    StatusCode code;
    std::string message;
  } cases[] = {
      {"SELECT * FROM promql('sum(', now())", StatusCode::kInvalidArgument, "promql(): "},
      {"SELECT * FROM promql('\"text\"', now())", StatusCode::kOutOfRange, "string"},
      {"SELECT * FROM promql('x', TIMESTAMPTZ '2026-01-01 00:00:00+00', TIMESTAMPTZ '2026-01-02 00:00:00+00', "
       "INTERVAL 1 SECOND)",
       StatusCode::kOutOfRange, "11,000 points"},
      {"SELECT * FROM promql('x', TIMESTAMPTZ '2026-01-02 00:00:00+00', TIMESTAMPTZ '2026-01-01 00:00:00+00', "
       "INTERVAL 1 MINUTE)",
       StatusCode::kOutOfRange, "end must not be before start"},
      {"SELECT * FROM promql('x', now(), now(), INTERVAL 0 SECOND)", StatusCode::kOutOfRange, "step must be positive"},
      {"SELECT * FROM promql('x', NULL)", StatusCode::kOutOfRange, "must not be NULL"},
      {"SELECT * FROM promql('x')", StatusCode::kInvalidArgument, "promql"},
  };
  for (const Case& c : cases) {
    auto r = sql_->Query(c.sql);
    ASSERT_FALSE(r.ok()) << c.sql;
    EXPECT_EQ(r.status().code(), c.code) << c.sql << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
  }
}

// PromQL's answer for `query` over [start, end] every `step` (ms), as
// {labels without the name: {t: value}}.
std::map<std::string, std::map<int64_t, double>> PromqlRange(const storage::Storage& storage,
                                                             const std::string& query, int64_t start,
                                                             int64_t end, int64_t step) {
  query::StorageQueryable data(storage);
  promql::Engine engine;
  auto expr = promql::ParseExpr(query);
  EXPECT_TRUE(expr.ok()) << query;
  auto result = engine.Range(data, **expr, start, end, step);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  std::map<std::string, std::map<int64_t, double>> out;
  for (const auto& series : result->series) {
    for (const auto& p : series.points) out[series.labels.ToString()][p.t] = p.v;
  }
  return out;
}

TEST_F(SqlTablesTest, CounterIncreaseIsPromqlsRateOnSteadyCounters) {
  // Counters that rise steadily, one of them reset twice: PromQL's
  // extrapolation is then exact, and its rate must match the helper's.
  for (int s = 0; s < 4; ++s) {
    std::vector<Sample> samples;
    double v = 100 * s;
    for (int i = 0; i < 4 * 60 * 4; ++i) {  // 4 h every 15 s
      if (s == 3 && (i == 300 || i == 700)) v = 0;
      samples.push_back({kStart + i * 15'000, v});
      v += s + 1;
    }
    Append(Labels{{"__name__", "c_total"}, {"s", std::to_string(s)}}, samples);
  }
  ASSERT_TRUE(storage_->Flush().ok());
  const int64_t start = kStart + 30 * 60'000, end = kStart + 3 * 3600'000;
  auto want = PromqlRange(*storage_, "rate(c_total[5m])", start + 300'000, end, 300'000);
  ASSERT_EQ(want.size(), 4u);
  QueryResult r = Query(
      "SELECT labels['s'], epoch_ms(ts), rate, increase FROM counter_increase('c_total', INTERVAL 5 MINUTE, "
      "TIMESTAMPTZ '2026-01-01 00:30:00+00', TIMESTAMPTZ '2026-01-01 03:00:00+00') ORDER BY 1, ts");
  size_t compared = 0, resets = 0;
  for (const auto& row : r.rows) {
    const std::string key = "{s=\"" + *row[0] + "\"}";
    const int64_t t = std::stoll(*row[1]);
    ASSERT_TRUE(want[key].count(t)) << key << " " << t;
    const bool reset = *row[0] == "3" && (t == kStart + 300 * 15'000 ||
                                          t == kStart + 700 * 15'000);
    if (reset) {
      // PromQL extrapolates the 18 steps it sees to the window; the
      // helper adds the 20 steps ending in it, the reset counting 0.
      EXPECT_EQ(*row[3], "76.0") << t;
      ++resets;
      continue;
    }
    EXPECT_NEAR(std::stod(*row[2]), want[key][t], 1e-9) << key << " " << t;
    EXPECT_NEAR(std::stod(*row[3]), want[key][t] * 300, 1e-6) << key << " " << t;
    ++compared;
  }
  EXPECT_EQ(resets, 2u);
  EXPECT_EQ(compared + resets, 4u * 30);  // 2.5 h of 5-minute buckets for each series
}

TEST_F(SqlTablesTest, HistogramQuantileIsPromqls) {
  // Two histograms of one metric, buckets counted up at different rates.
  const char* bounds[] = {"0.1", "0.25", "0.5", "1", "2.5", "+Inf"};
  for (int h = 0; h < 2; ++h) {
    for (int b = 0; b < 6; ++b) {
      std::vector<Sample> samples;
      for (int i = 0; i < 120; ++i) {
        samples.push_back({kStart + i * 15'000, double(i * (b + 1) * (h + 2) + (b == 5 ? i : 0))});
      }
      Append(Labels{{"__name__", "lat_bucket"}, {"h", std::to_string(h)}, {"le", bounds[b]}}, samples);
    }
  }
  const int64_t t = kStart + 29 * 60'000;
  for (double q : {0.5, 0.9, 0.99}) {
    const std::string promql = "histogram_quantile(" + std::to_string(q) + ", sum by (le) (lat_bucket))";
    auto want = PromqlRange(*storage_, promql, t, t, 60'000);
    ASSERT_EQ(want.size(), 1u);
    const double expected = want.begin()->second.at(t);
    const std::string got = Scalar(
        "SELECT histogram_quantile(" + std::to_string(q) + ", list(le), list(v)) FROM "
        "(SELECT le, sum(value) AS v FROM samples WHERE metric = 'lat_bucket' "
        "AND ts = TIMESTAMPTZ '2026-01-01 00:29:00+00' GROUP BY le)");
    EXPECT_NEAR(std::stod(got), expected, 1e-12) << promql;
  }
  // Over rates, per 5-minute bucket: PromQL's histogram_quantile of rates.
  auto want = PromqlRange(*storage_, "histogram_quantile(0.9, sum by (le) (rate(lat_bucket[5m])))",
                          kStart + 600'000, kStart + 1'500'000, 300'000);
  ASSERT_EQ(want.size(), 1u);
  QueryResult r = Query(
      "SELECT epoch_ms(ts), histogram_quantile(0.9, list(le), list(r)) FROM ("
      "  SELECT ts, labels['le'] AS le, sum(rate) AS r FROM counter_increase("
      "    'lat_bucket', INTERVAL 5 MINUTE, TIMESTAMPTZ '2026-01-01 00:05:00+00', "
      "    TIMESTAMPTZ '2026-01-01 00:25:00+00') GROUP BY ts, le) GROUP BY ts ORDER BY ts");
  ASSERT_EQ(r.rows.size(), 4u);
  for (const auto& row : r.rows) {
    const int64_t at = std::stoll(*row[0]);
    ASSERT_TRUE(want.begin()->second.count(at)) << at;
    EXPECT_NEAR(std::stod(*row[1]), want.begin()->second.at(at), 1e-9) << at;
  }
  EXPECT_EQ(Scalar("SELECT histogram_quantile(0.5, [1.0, 2.0, 'Infinity'::DOUBLE], [1.0, 3.0, 4.0])"), "1.5");
  EXPECT_EQ(Scalar("SELECT histogram_quantile(0.5, ['1', 'x'], [1.0]) IS NULL"), "true");
}

TEST_F(SqlTablesTest, MetadataListsWhatSendersSent) {
  Labels labels{{"__name__", "http_requests_total"}};
  std::vector<Sample> samples = Minutes(0, 1, 1);
  head::SeriesSamples item{&labels, samples};
  head::MetricMetadata meta{"http_requests_total", 1, "Requests served.", ""};
  storage::StorageAppendResult r;
  ASSERT_TRUE(storage_->Append({&item, 1}, {&meta, 1}, &r).ok());
  QueryResult q = Query("SELECT metric, type, help, unit FROM metadata");
  ASSERT_EQ(q.rows.size(), 1u);
  EXPECT_EQ(*q.rows[0][0], "http_requests_total");
  EXPECT_EQ(*q.rows[0][1], "counter");
  EXPECT_EQ(*q.rows[0][2], "Requests served.");
  EXPECT_EQ(*q.rows[0][3], "");
}

}  // namespace
}  // namespace mytsdb::sql
