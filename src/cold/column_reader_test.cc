#include "cold/column_reader.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mytsdb::cold {
namespace {

// One run of equal series_id: its length and key strings.
struct KeyRun {
  int64_t id;
  int64_t rows;
  std::string metric;
  std::optional<std::string> zone;  // null for some runs
  std::string host;
};

// A file as another writer might make it: plain and dictionary-encoded
// strings, nulls, runs longer than a read batch and runs that cross row
// groups; ReadKeyRuns must give every run's first row.
TEST(ColumnReaderTest, KeyRunsGiveEachRunsFirstRowAcrossBatchesAndRowGroups) {
  std::vector<KeyRun> runs;
  for (int i = 0; i < 300; ++i) {
    const int64_t rows = i % 50 == 7 ? 20'000 : 1 + (i * 37) % 120;  // some longer than 8,192
    std::optional<std::string> zone;
    if (i % 3 != 0) zone = "z" + std::to_string(i % 5);
    runs.push_back({1'000'000 + i * 7919, rows, i < 150 ? "a_metric" : "b_metric", zone,
                    "host-" + std::to_string(i)});
  }
  runs[10].id = runs[9].id + 1;  // neighbours differ by id only
  arrow::Int64Builder ids;
  arrow::StringBuilder metric, zone, host;
  int64_t total = 0;
  for (const KeyRun& r : runs) {
    for (int64_t k = 0; k < r.rows; ++k) {
      ASSERT_TRUE(ids.Append(r.id).ok());
      ASSERT_TRUE(metric.Append(r.metric).ok());
      ASSERT_TRUE((r.zone ? zone.Append(*r.zone) : zone.AppendNull()).ok());
      ASSERT_TRUE(host.Append(r.host).ok());
    }
    total += r.rows;
  }
  std::shared_ptr<arrow::Array> a_ids, a_metric, a_zone, a_host;
  ASSERT_TRUE(ids.Finish(&a_ids).ok());
  ASSERT_TRUE(metric.Finish(&a_metric).ok());
  ASSERT_TRUE(zone.Finish(&a_zone).ok());
  ASSERT_TRUE(host.Finish(&a_host).ok());
  auto schema = arrow::schema({arrow::field("series_id", arrow::int64(), false),
                               arrow::field("metric", arrow::utf8(), false),
                               arrow::field("zone", arrow::utf8()), arrow::field("host", arrow::utf8())});
  auto table = arrow::Table::Make(schema, {a_ids, a_metric, a_zone, a_host});

  const std::string path = (std::filesystem::temp_directory_path() /
                            ("key_runs_" + std::to_string(getpid()) + ".parquet")).string();
  {
    auto out = arrow::io::FileOutputStream::Open(path);
    ASSERT_TRUE(out.ok());
    // host PLAIN, the others dictionary-encoded; small pages and row groups.
    auto props = parquet::WriterProperties::Builder()
                     .disable_dictionary("host")
                     ->data_pagesize(4096)
                     ->max_row_group_length(25'000)
                     ->build();
    ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *out, 25'000, props).ok());
    ASSERT_TRUE((*out)->Close().ok());
  }
  auto reader = OpenParquet(io::PosixFileSystem(), path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  parquet::ParquetFileReader* pq = (*reader)->parquet_reader();
  ASSERT_GT(pq->metadata()->num_row_groups(), 3);

  // The expected first rows of runs, per row group, from the runs above.
  size_t run = 0;
  int64_t run_row = 0;  // rows of runs[run] before the current row group
  int64_t group_start = 0;
  size_t runs_seen = 0;
  for (int rg = 0; rg < pq->metadata()->num_row_groups(); ++rg) {
    const int64_t group_rows = pq->metadata()->RowGroup(rg)->num_rows();
    KeyRuns got;
    auto group = pq->RowGroup(rg);
    ASSERT_TRUE(ReadKeyRuns(*group, 0, {1, 2, 3}, &got).ok());
    ASSERT_EQ(got.strings.size(), 3u);
    size_t k = 0;
    for (int64_t row = 0; row < group_rows; ++k) {
      ASSERT_LT(k, got.starts.size()) << "row group " << rg;
      const KeyRun& r = runs[run];
      EXPECT_EQ(got.starts[k], row);
      EXPECT_EQ(got.ids[k], r.id);
      EXPECT_EQ(got.strings[0][k], std::optional<std::string>(r.metric));
      EXPECT_EQ(got.strings[1][k], r.zone);
      EXPECT_EQ(got.strings[2][k], std::optional<std::string>(r.host));
      const int64_t here = std::min(r.rows - run_row, group_rows - row);
      row += here;
      run_row += here;
      if (run_row == r.rows) {
        ++run;
        run_row = 0;
      }
    }
    EXPECT_EQ(got.starts.size(), k);
    runs_seen += k;
    group_start += group_rows;
  }
  EXPECT_EQ(group_start, total);
  EXPECT_EQ(run, runs.size());
  EXPECT_GT(runs_seen, runs.size());  // some runs crossed a row group
  std::filesystem::remove(path);
}

// A nullable column read sparsely: the wanted rows' values sit at their
// rows, nulls marked, across pages that hold many nulls or none; a
// required column has no validity.
TEST(ColumnReaderTest, SparseNullableColumnsPutEachValueAtItsRow) {
  const int64_t rows = 50'000;
  // Pages of scattered nulls, of values only (20,000-30,000) and of nulls
  // only (35,000-45,000): the reader spreads the first and copies the others.
  auto present = [](int64_t r) {
    return (r % 7 == 0 && !(r >= 35'000 && r < 45'000)) || (r > 20'000 && r < 30'000);
  };
  arrow::Int64Builder nullable, required;
  for (int64_t r = 0; r < rows; ++r) {
    ASSERT_TRUE((present(r) ? nullable.Append(r * 3) : nullable.AppendNull()).ok());
    ASSERT_TRUE(required.Append(-r).ok());
  }
  std::shared_ptr<arrow::Array> a_nullable, a_required;
  ASSERT_TRUE(nullable.Finish(&a_nullable).ok());
  ASSERT_TRUE(required.Finish(&a_required).ok());
  auto table = arrow::Table::Make(arrow::schema({arrow::field("n", arrow::int64()),
                                                 arrow::field("r", arrow::int64(), false)}),
                                  {a_nullable, a_required});
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("sparse_" + std::to_string(getpid()) + ".parquet")).string();
  {
    auto out = arrow::io::FileOutputStream::Open(path);
    ASSERT_TRUE(out.ok());
    auto props = parquet::WriterProperties::Builder()
                     .disable_dictionary()
                     ->data_pagesize(4096)
                     ->write_batch_size(512)
                     ->build();
    ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *out, rows, props).ok());
    ASSERT_TRUE((*out)->Close().ok());
  }
  auto reader = OpenParquet(io::PosixFileSystem(), path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto group = (*reader)->parquet_reader()->RowGroup(0);
  const std::vector<std::pair<int64_t, int64_t>> wanted = {
      {5, 40}, {19'990, 20'020}, {24'000, 26'000}, {36'000, 40'000}, {49'000, 50'000}};
  SparseColumn<parquet::Int64Type> n, r;
  ASSERT_TRUE(n.Read(*group, 0, wanted).ok());
  ASSERT_TRUE(r.Read(*group, 1, wanted).ok());
  int nulls = 0;
  for (const auto& [first, end] : wanted) {
    const int64_t* values = n.rows(first);
    const uint8_t* valid = n.valid(first);
    ASSERT_NE(valid, nullptr);
    EXPECT_EQ(r.valid(first), nullptr);
    for (int64_t k = 0; k < end - first; ++k) {
      const int64_t row = first + k;
      EXPECT_EQ(valid[k] != 0, present(row)) << row;
      EXPECT_EQ(values[k], present(row) ? row * 3 : 0) << row;
      EXPECT_EQ(r.rows(first)[k], -row);
      nulls += !present(row);
    }
  }
  EXPECT_GT(nulls, 4'000);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace mytsdb::cold
