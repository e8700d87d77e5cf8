// The SQL sandbox reads the allowed directory and refuses everything else,
// each refusal with a message and nothing written (issue 12, point 5).
#include "sql/sandbox.h"

#include <duckdb.h>
#include "duckdb.hpp"
#include <cerrno>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>
#include <string>

namespace mytsdb::sql {
namespace {

namespace fs = std::filesystem;

class SqlSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("sql_sandbox_" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "allowed");
    fs::create_directories(root_ / "outside");
    // Written by a DuckDB of its own: the sandbox writes nothing.
    WriteParquet(root_ / "allowed" / "t.parquet");
    WriteParquet(root_ / "outside" / "secret.parquet");
    auto sandbox = SqlSandbox::Open({.allowed_directory = (root_ / "allowed").string(),
                                     .memory_limit_bytes = 256 << 20, .threads = 2});
    ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
    sandbox_ = std::move(*sandbox);
  }
  void TearDown() override {
    sandbox_.reset();
    fs::remove_all(root_);
  }

  static void WriteParquet(const fs::path& path) {
    duckdb_database db;
    duckdb_connection con;
    ASSERT_EQ(duckdb_open(nullptr, &db), DuckDBSuccess);
    ASSERT_EQ(duckdb_connect(db, &con), DuckDBSuccess);
    duckdb_result result;
    std::string copy = "COPY (SELECT i AS a FROM range(1, 4) t(i)) TO '" + path.string() + "' (FORMAT parquet)";
    EXPECT_EQ(duckdb_query(con, copy.c_str(), &result), DuckDBSuccess) << duckdb_result_error(&result);
    duckdb_destroy_result(&result);
    duckdb_disconnect(&con);
    duckdb_close(&db);
  }

  std::set<std::string> Files() const {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root_)) out.insert(e.path().string());
    return out;
  }

  fs::path root_;
  std::unique_ptr<SqlSandbox> sandbox_;
};

// Threads of this process at nice `nice` (from /proc: Linux schedules
// threads one by one).
int ThreadsAtNice(int nice) {
  int n = 0;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    const pid_t tid = static_cast<pid_t>(std::stol(task.path().filename().string()));
    errno = 0;
    const int value = ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
    if (errno == 0 && value == nice) ++n;
  }
  return n;
}

// DuckDB's workers run below the rest of the server, as PromQL's do.
TEST_F(SqlSandboxTest, DuckDBsWorkersRunAtTheLowerPriority) {
  const int before = ThreadsAtNice(19);
  auto low = SqlSandbox::Open({.allowed_directory = (root_ / "allowed").string(), .threads = 3, .worker_nice = 19});
  ASSERT_TRUE(low.ok()) << low.status().ToString();
  EXPECT_GE(ThreadsAtNice(19) - before, 2);  // DuckDB starts threads - 1 workers
  ASSERT_TRUE((*low)->Query("SELECT sum(i) FROM range(1000000) t(i)").ok());
  low->reset();
  EXPECT_EQ(ThreadsAtNice(19), before);
}

TEST_F(SqlSandboxTest, ReadsFilesInTheAllowedDirectory) {
  auto r = sandbox_->Query("SELECT sum(a) AS total, count(*) AS n, NULL AS nothing FROM read_parquet('" +
                           (root_ / "allowed" / "t.parquet").string() + "')");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->columns, (std::vector<std::string>{"total", "n", "nothing"}));
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0][0], "6");
  EXPECT_EQ(r->rows[0][1], "3");
  EXPECT_EQ(r->rows[0][2], std::nullopt);
  r = sandbox_->Query("SELECT 42 AS answer");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows[0][0], "42");
}

TEST_F(SqlSandboxTest, RefusesEveryStatementButSelectAndWritesNothing) {
  const std::string allowed = (root_ / "allowed").string();
  const std::set<std::string> before = Files();
  struct Case {
    std::string sql;
    std::string message;  // a part of the error
  };
  const std::vector<Case> cases = {
      {"CREATE TABLE t AS SELECT 1", "not CREATE"},
      {"CREATE TEMP TABLE t AS SELECT 1", "not CREATE"},
      {"CREATE VIEW v AS SELECT 1", "not CREATE"},
      {"INSERT INTO t VALUES (1)", "not INSERT"},
      {"COPY (SELECT 1) TO '" + allowed + "/out.csv'", "not COPY"},
      {"COPY (SELECT 1) TO '" + allowed + "/out.parquet' (FORMAT parquet)", "not COPY"},
      {"EXPORT DATABASE '" + allowed + "/export'", "not EXPORT"},
      {"ATTACH '" + allowed + "/db.duckdb' AS other", "not ATTACH"},
      {"INSTALL httpfs", "not INSTALL"},
      {"LOAD httpfs", "not LOAD"},
      {"SET enable_external_access = true", "not SET"},
      {"SET memory_limit = '10GB'", "not SET"},
      {"RESET lock_configuration", "not RESET"},
      {"PRAGMA enable_profiling", "not PRAGMA"},
      {"CALL checkpoint()", "not CALL"},
      {"BEGIN TRANSACTION", "not BEGIN"},
      {"  -- a comment\n /* and another */ COPY (SELECT 1) TO '" + allowed + "/c.csv'", "not COPY"},
      {"(SELECT 1) UNION ALL (SELECT 2)", ""},  // runs: checked below
      {"EXPLAIN ANALYZE COPY (SELECT 1) TO '" + allowed + "/e.csv'", "not EXPLAIN"},
      {"DESCRIBE SELECT 1", "not DESCRIBE"},
      // A SELECT whose table function would run another statement.
      {"SELECT * FROM query('COPY (SELECT 1) TO ''" + allowed + "/q.csv''')", "single SELECT"},
      {"FROM query('EXPORT DATABASE ''" + allowed + "/e''')", "single SELECT"},
      {"SELECT 1; SELECT 2", "one statement a request, not 2"},
      {"SELECT 1; COPY (SELECT 1) TO '" + allowed + "/x.csv'", "one statement a request"},
      {"SELECT FROM WHERE", "Parser Error"},
      {"", "SQL: "},
      {"  ", "SQL: "},
  };
  for (const Case& c : cases) {
    auto r = sandbox_->Query(c.sql);
    if (c.message.empty()) {
      EXPECT_TRUE(r.ok()) << c.sql << ": " << r.status().ToString();
      continue;
    }
    ASSERT_FALSE(r.ok()) << c.sql;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.sql;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.sql << ": " << r.status().message();
  }
  EXPECT_EQ(Files(), before);
}

TEST_F(SqlSandboxTest, RefusesFilesAndUrlsOutsideTheAllowedDirectory) {
  const std::vector<std::string> reads = {
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_text('/etc/hostname')",
      "SELECT * FROM read_blob('/etc/hostname')",
      "SELECT * FROM glob('/**')",
      "SELECT * FROM read_parquet('" + (root_ / "outside" / "secret.parquet").string() + "')",
      "SELECT * FROM read_parquet('" + (root_ / "allowed" / ".." / "outside" / "secret.parquet").string() + "')",
      "SELECT * FROM read_csv('https://127.0.0.1:1/x.csv')",
      "SELECT * FROM '/etc/passwd'",
  };
  for (const std::string& sql : reads) {
    auto r = sandbox_->Query(sql);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << sql;
    // A path given as a table name is not looked up as a file at all.
    const bool as_table = sql.find("FROM '") != std::string::npos;
    EXPECT_NE(r.status().message().find(as_table ? "does not exist" : "disabled by configuration"),
              std::string::npos)
        << sql << ": " << r.status().message();
  }
}

TEST_F(SqlSandboxTest, ErrorsSayWhatKindTheyAre) {
  struct Case {
    std::string sql;
    StatusCode code;
    std::string message;
  } cases[] = {
      {"SELECT 1 FROM WHERE x", StatusCode::kInvalidArgument, "at character 14: "},
      {"SELECT nope FROM range(3)", StatusCode::kInvalidArgument, "nope"},
      {"SELECT * FROM no_such_table", StatusCode::kInvalidArgument, "no_such_table"},
      {"SELECT CAST('x' AS INTEGER)", StatusCode::kOutOfRange, "Conversion"},
      {"SELECT 9223372036854775807::BIGINT + i FROM range(1, 2) t(i)", StatusCode::kOutOfRange, "Overflow"},
  };
  for (const Case& c : cases) {
    auto r = sandbox_->Query(c.sql);
    ASSERT_FALSE(r.ok()) << c.sql;
    EXPECT_EQ(r.status().code(), c.code) << c.sql << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
  }
}

TEST_F(SqlSandboxTest, AQueryStopsAtItsTimeoutOrWhenCanceled) {
  const std::string endless = "SELECT sum(hash(i)) FROM range(1000000000000) t(i)";
  auto start = std::chrono::steady_clock::now();
  auto timed = sandbox_->Execute(endless, {.timeout = std::chrono::milliseconds(300)});
  Status st = timed.ok() ? (*timed)->Next().status() : timed.status();
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.ToString();
  EXPECT_NE(st.message().find("timed out after 300 ms"), std::string::npos) << st.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));

  auto cancel = std::make_shared<std::atomic<bool>>(false);
  std::thread canceler([cancel] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    *cancel = true;
  });
  auto canceled = sandbox_->Execute(endless, {.cancel = cancel});
  st = canceled.ok() ? (*canceled)->Next().status() : canceled.status();
  canceler.join();
  EXPECT_EQ(st.code(), StatusCode::kCancelled) << st.ToString();
  // The database serves the next query.
  auto next = sandbox_->Query("SELECT 42");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(*next->rows[0][0], "42");
}

TEST_F(SqlSandboxTest, AQueryOverTheMemoryLimitFailsAlone) {
  // The sandbox has 256 MiB; this aggregate holds about 2 GB and cannot
  // spill.
  auto r = sandbox_->Query("SELECT length(string_agg(i::VARCHAR || repeat('x', 10), ',')) "
                           "FROM range(200000000) t(i)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
  auto next = sandbox_->Query("SELECT count(*) FROM range(1000)");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(*next->rows[0][0], "1000");
}

TEST_F(SqlSandboxTest, PreparedQueriesTakeTextParameters) {
  auto prepared = sandbox_->Prepare("SELECT count(*) AS n, $2::VARCHAR AS label FROM range(10) t(i) WHERE i < $1", {});
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  EXPECT_EQ((*prepared)->columns(), (std::vector<std::string>{"n", "label"}));
  EXPECT_EQ((*prepared)->parameter_types(), (std::vector<std::string>{"BIGINT", "VARCHAR"}));
  for (const auto& [limit, want] : std::vector<std::pair<std::string, std::string>>{{"5", "5"}, {"8", "8"}}) {
    auto cursor = (*prepared)->Run({limit, "x"}, {});
    ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
    auto more = (*cursor)->Next();
    ASSERT_TRUE(more.ok() && *more);
    EXPECT_EQ((*cursor)->chunk().GetValue(0, 0).ToString(), want);
    EXPECT_EQ((*cursor)->chunk().GetValue(1, 0).ToString(), "x");
  }
  auto null = (*prepared)->Run({std::nullopt, std::nullopt}, {});
  ASSERT_TRUE(null.ok());
  ASSERT_TRUE(*(*null)->Next());
  EXPECT_EQ((*null)->chunk().GetValue(0, 0).ToString(), "0");
  // Text that is not of the expected type, and the wrong number of them.
  auto bad = (*prepared)->Run({"five", "x"}, {});
  Status st = bad.ok() ? (*bad)->Next().status() : bad.status();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ((*prepared)->Run({"1"}, {}).status().code(), StatusCode::kInvalidArgument);
  // The statement rules are Execute's.
  EXPECT_EQ(sandbox_->Prepare("DELETE FROM t WHERE x = $1", {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SqlSandboxOpenTest, NeedsAnAbsoluteDirectory) {
  auto r = SqlSandbox::Open({.allowed_directory = "relative/dir"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("absolute"), std::string::npos);
}

}  // namespace
}  // namespace mytsdb::sql
