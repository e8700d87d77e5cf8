#include "cold/parquet_writer.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <unistd.h>

#include <bit>
#include <filesystem>

#include "cold/schema.h"

namespace mytsdb::cold {
namespace {

namespace fs = std::filesystem;
using model::Labels;

TEST(SchemaTest, LabelColumnsAvoidFixedNames) {
  EXPECT_EQ(ColumnForLabel("job"), "job");
  EXPECT_EQ(ColumnForLabel("value"), "label_value");
  EXPECT_EQ(ColumnForLabel("ts"), "label_ts");
  EXPECT_EQ(ColumnForLabel("label_x"), "label_label_x");
  for (const char* name : {"job", "value", "ts", "metric", "series_id", "label_x"}) {
    EXPECT_EQ(LabelForColumn(ColumnForLabel(name)), name);
  }
  EXPECT_EQ(LabelForColumn("value"), "");
}

std::shared_ptr<arrow::Table> ReadBack(const std::string& path,
                                       std::shared_ptr<parquet::FileMetaData>* md) {
  auto in = arrow::io::ReadableFile::Open(path).ValueOrDie();
  auto reader = parquet::arrow::OpenFile(in, arrow::default_memory_pool()).ValueOrDie();
  *md = reader->parquet_reader()->metadata();
  return reader->ReadTable().ValueOrDie()->CombineChunks().ValueOrDie();
}

std::string Str(const std::shared_ptr<arrow::ChunkedArray>& col, int64_t row) {
  auto scalar = col->GetScalar(row).ValueOrDie();
  if (!scalar->is_valid) return "<null>";
  auto dict = std::static_pointer_cast<arrow::DictionaryScalar>(scalar);
  return dict->GetEncodedValue().ValueOrDie()->ToString();
}

TEST(ParquetWriterTest, SortedRowsLabelColumnsAndEncodings) {
  auto path = (fs::temp_directory_path() / ("pw_" + std::to_string(getpid()) + ".parquet")).string();
  std::vector<SeriesData> series;
  series.push_back({Labels{{"__name__", "up"}, {"job", "web"}}, {{2000, 1}, {3000, 0}}});
  series.push_back({Labels{{"__name__", "up"}, {"job", "api"}, {"value", "collides"}},
                    {{1000, std::bit_cast<double>(uint64_t{0x7ff0000000000002})}}});
  series.push_back({Labels{{"__name__", "a_metric"}, {"zone", "z1"}}, {{5000, 2.5}}});
  auto info = WriteParquetFile(io::PosixFileSystem(), path, series);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->num_rows, 4);
  EXPECT_EQ(info->min_ts, 1000);
  EXPECT_EQ(info->max_ts, 5000);
  EXPECT_EQ(info->columns, (std::vector<std::string>{"metric", "series_id", "ts", "value", "value_int",
                                                     "value_div", "job", "label_value", "zone"}));
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  std::shared_ptr<parquet::FileMetaData> md;
  auto table = ReadBack(path, &md);
  ASSERT_EQ(table->num_rows(), 4);
  // Sorted: a_metric first, then up{job=api,...}, then up{job=web} by time.
  auto metric = table->GetColumnByName("metric");
  auto job = table->GetColumnByName("job");
  auto ts = std::static_pointer_cast<arrow::TimestampArray>(table->GetColumnByName("ts")->chunk(0));
  auto value = std::static_pointer_cast<arrow::DoubleArray>(table->GetColumnByName("value")->chunk(0));
  EXPECT_EQ(Str(metric, 0), "a_metric");
  EXPECT_EQ(Str(job, 0), "<null>");
  EXPECT_EQ(Str(table->GetColumnByName("zone"), 0), "z1");
  EXPECT_EQ(Str(job, 1), "api");
  EXPECT_EQ(Str(table->GetColumnByName("label_value"), 1), "collides");
  // Values are decimals where that is exact (value_int / value_div), the
  // double otherwise: here the staleness marker.
  auto value_int = std::static_pointer_cast<arrow::Int64Array>(table->GetColumnByName("value_int")->chunk(0));
  auto value_div = std::static_pointer_cast<arrow::Int64Array>(table->GetColumnByName("value_div")->chunk(0));
  EXPECT_TRUE(value->IsNull(0));
  EXPECT_EQ(value_int->Value(0), 25);
  EXPECT_EQ(value_div->Value(0), 10);
  EXPECT_EQ(std::bit_cast<uint64_t>(value->Value(1)), 0x7ff0000000000002ULL);
  EXPECT_TRUE(value_int->IsNull(1) && value_div->IsNull(1));
  for (int64_t r : {2, 3}) {
    EXPECT_TRUE(value->IsNull(r));
    EXPECT_EQ(value_int->Value(r), r == 2 ? 1 : 0);
    EXPECT_EQ(value_div->Value(r), 1);
  }
  EXPECT_EQ(Str(job, 2), "web");
  EXPECT_EQ(ts->Value(2), 2000);
  EXPECT_EQ(ts->Value(3), 3000);
  // The same series gets the same id as the labels' hash.
  auto ids = std::static_pointer_cast<arrow::Int64Array>(table->GetColumnByName("series_id")->chunk(0));
  EXPECT_EQ(ids->Value(2), ids->Value(3));
  EXPECT_EQ(static_cast<uint64_t>(ids->Value(2)), series[0].labels.Hash());

  auto rg = md->RowGroup(0);
  auto has = [](std::vector<parquet::Encoding::type> encs, parquet::Encoding::type e) {
    return std::find(encs.begin(), encs.end(), e) != encs.end();
  };
  EXPECT_TRUE(has(rg->ColumnChunk(2)->encodings(), parquet::Encoding::DELTA_BINARY_PACKED));
  EXPECT_TRUE(has(rg->ColumnChunk(3)->encodings(), parquet::Encoding::PLAIN));
  EXPECT_FALSE(has(rg->ColumnChunk(3)->encodings(), parquet::Encoding::RLE_DICTIONARY));
  EXPECT_TRUE(has(rg->ColumnChunk(4)->encodings(), parquet::Encoding::DELTA_BINARY_PACKED));
  EXPECT_FALSE(has(rg->ColumnChunk(4)->encodings(), parquet::Encoding::RLE_DICTIONARY));
  EXPECT_TRUE(has(rg->ColumnChunk(5)->encodings(), parquet::Encoding::RLE_DICTIONARY));
  EXPECT_TRUE(has(rg->ColumnChunk(0)->encodings(), parquet::Encoding::RLE_DICTIONARY));
  for (int c = 0; c < rg->num_columns(); ++c) {
    // value_div (column 5) is left uncompressed: see the writer.
    EXPECT_EQ(rg->ColumnChunk(c)->compression(),
              c == 5 ? parquet::Compression::UNCOMPRESSED : parquet::Compression::ZSTD)
        << c;
    EXPECT_TRUE(rg->ColumnChunk(c)->is_stats_set()) << c;
  }
  EXPECT_TRUE(rg->ColumnChunk(2)->GetColumnIndexLocation().has_value());
  fs::remove(path);
}

TEST(ParquetWriterTest, BatchesBecomeBoundedRowGroups) {
  auto path = (fs::temp_directory_path() / ("pwb_" + std::to_string(getpid()) + ".parquet")).string();
  WriteOptions options;
  options.row_group_rows = 7;
  auto writer = ParquetFileWriter::Open(io::PosixFileSystem(), path, {"job", "instance"}, options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  int64_t t = 0;
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<SeriesData> series;
    for (int i = 0; i < 2; ++i) {
      SeriesData s{Labels{{"__name__", "m"}, {"instance", std::to_string(batch * 2 + i)}}, {}};
      for (int k = 0; k < 4; ++k) s.samples.push_back({++t, double(t)});
      series.push_back(std::move(s));
    }
    ASSERT_TRUE((*writer)->Write(series).ok());
  }
  EXPECT_TRUE(fs::exists(path + ".tmp"));
  EXPECT_FALSE(fs::exists(path));
  auto info = (*writer)->Finish();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->num_rows, 24);
  EXPECT_EQ(info->min_ts, 1);
  EXPECT_EQ(info->max_ts, 24);
  std::shared_ptr<parquet::FileMetaData> md;
  auto table = ReadBack(path, &md);
  EXPECT_EQ(md->num_row_groups(), 4);  // 7 + 7 + 7 + 3 rows
  for (int r = 0; r < md->num_row_groups(); ++r) EXPECT_LE(md->RowGroup(r)->num_rows(), 7);
  auto ts = std::static_pointer_cast<arrow::TimestampArray>(table->GetColumnByName("ts")->chunk(0));
  for (int64_t r = 0; r < 24; ++r) EXPECT_EQ(ts->Value(r), r + 1);
  EXPECT_EQ(Str(table->GetColumnByName("job"), 0), "<null>");
  EXPECT_EQ(Str(table->GetColumnByName("instance"), 23), "5");
  fs::remove(path);
}

TEST(ParquetWriterTest, SeriesOutOfFileOrderAreRefusedAndNothingOfTheirBatchIsWritten) {
  auto path = (fs::temp_directory_path() / ("pwo_" + std::to_string(getpid()) + ".parquet")).string();
  auto writer = ParquetFileWriter::Open(io::PosixFileSystem(), path, {"i"}).value();
  auto one = [](std::string metric, std::string i, int64_t t) {
    return SeriesData{Labels{{"__name__", metric}, {"i", i}}, {{t, 1}}};
  };
  std::vector<SeriesData> first = {one("b", "1", 1), one("b", "3", 2)};
  ASSERT_TRUE(writer->Write(first).ok());
  // Before the last series written, the same series again, and a metric
  // name that sorts first although its labels sort last.
  std::vector<SeriesData> before_last = {one("b", "4", 3), one("b", "2", 4)};
  std::vector<SeriesData> again = {one("b", "3", 5)};
  std::vector<SeriesData> metric_first = {one("c", "0", 6), one("b", "9", 7)};
  for (const auto& batch : {before_last, again, metric_first}) {
    Status st = writer->Write(batch);
    EXPECT_EQ(st.code(), StatusCode::kInternal) << st.ToString();
    EXPECT_NE(st.message().find("out of file order"), std::string::npos);
  }
  // Series without samples are not written, so they do not count.
  std::vector<SeriesData> next = {{Labels{{"__name__", "a"}}, {}}, one("b", "4", 8)};
  ASSERT_TRUE(writer->Write(next).ok());
  auto info = writer->Finish();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->num_rows, 3);
  EXPECT_EQ(info->max_ts, 8);
  fs::remove(path);
}

TEST(ParquetWriterTest, UnfinishedWriterLeavesNoFile) {
  auto path = (fs::temp_directory_path() / ("pwu_" + std::to_string(getpid()) + ".parquet")).string();
  {
    auto writer = ParquetFileWriter::Open(io::PosixFileSystem(), path, {}).value();
    std::vector<SeriesData> series = {{Labels{{"__name__", "m"}}, {{1, 1}}}};
    ASSERT_TRUE(writer->Write(series).ok());
  }
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  EXPECT_FALSE(fs::exists(path));
}

TEST(ParquetWriterTest, UnwritablePathIsAnError) {
  std::vector<SeriesData> series = {{Labels{{"__name__", "m"}}, {{1, 1}}}};
  auto info = WriteParquetFile(io::PosixFileSystem(), "/nonexistent-dir/x.parquet", series);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("/nonexistent-dir/x.parquet"), std::string::npos);
}

}  // namespace
}  // namespace mytsdb::cold
