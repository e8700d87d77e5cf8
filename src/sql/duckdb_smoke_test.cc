// The DuckDB C API (libduckdb.so from npm) runs SQL and reads zstd Parquet.
#include <duckdb.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace {

class DuckDbSmokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(duckdb_open(nullptr, &db_), DuckDBSuccess);
    ASSERT_EQ(duckdb_connect(db_, &con_), DuckDBSuccess);
  }
  void TearDown() override {
    duckdb_disconnect(&con_);
    duckdb_close(&db_);
  }
  int64_t QueryInt(const std::string& sql) {
    duckdb_result result;
    if (duckdb_query(con_, sql.c_str(), &result) != DuckDBSuccess) {
      ADD_FAILURE() << sql << ": " << duckdb_result_error(&result);
      duckdb_destroy_result(&result);
      return -1;
    }
    int64_t v = duckdb_value_int64(&result, 0, 0);
    duckdb_destroy_result(&result);
    return v;
  }
  duckdb_database db_;
  duckdb_connection con_;
};

TEST_F(DuckDbSmokeTest, RunsSql) {
  EXPECT_EQ(QueryInt("SELECT sum(i) FROM range(1000) t(i)"), 499500);
}

TEST_F(DuckDbSmokeTest, WritesAndReadsZstdParquet) {
  auto path = std::filesystem::temp_directory_path() /
              ("duckdb_smoke_" + std::to_string(getpid()) + ".parquet");
  std::string copy = "COPY (SELECT i AS ts, i * 0.5 AS value FROM range(10000) t(i)) TO '" +
                     path.string() + "' (FORMAT parquet, COMPRESSION zstd)";
  duckdb_result result;
  ASSERT_EQ(duckdb_query(con_, copy.c_str(), &result), DuckDBSuccess)
      << duckdb_result_error(&result);
  duckdb_destroy_result(&result);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM read_parquet('" + path.string() + "')"), 10000);
  EXPECT_EQ(QueryInt("SELECT CAST(sum(value) * 2 AS BIGINT) FROM read_parquet('" + path.string() + "')"),
            49995000);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM parquet_metadata('" + path.string() +
                     "') WHERE compression <> 'ZSTD'"),
            0);
  std::filesystem::remove(path);
}

}  // namespace
