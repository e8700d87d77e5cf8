// Arrow C++ (from the pyarrow wheel) writes a Parquet file with the encodings
// the cold tier will use, and reads it back bit-exactly.
#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <unistd.h>

#include <bit>
#include <filesystem>

namespace {

TEST(ParquetSmokeTest, WritesEncodingsAndReadsBackBitExact) {
  const std::vector<uint64_t> value_bits = {
      std::bit_cast<uint64_t>(1.5), 0x7ff0000000000002ULL /* stale NaN */,
      std::bit_cast<uint64_t>(-0.0), 0x7ff0000000000000ULL /* +Inf */};
  arrow::StringDictionaryBuilder metric;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"),
                             arrow::default_memory_pool());
  arrow::DoubleBuilder value;
  for (size_t i = 0; i < value_bits.size(); ++i) {
    ASSERT_TRUE(metric.Append("up").ok());
    ASSERT_TRUE(ts.Append(1700000000000 + int64_t(i) * 15000).ok());
    ASSERT_TRUE(value.Append(std::bit_cast<double>(value_bits[i])).ok());
  }
  std::shared_ptr<arrow::Array> a_metric, a_ts, a_value;
  ASSERT_TRUE(metric.Finish(&a_metric).ok());
  ASSERT_TRUE(ts.Finish(&a_ts).ok());
  ASSERT_TRUE(value.Finish(&a_value).ok());
  auto schema = arrow::schema({arrow::field("metric", a_metric->type()),
                               arrow::field("ts", a_ts->type()),
                               arrow::field("value", arrow::float64())});
  auto table = arrow::Table::Make(schema, {a_metric, a_ts, a_value});

  auto path = std::filesystem::temp_directory_path() /
              ("parquet_smoke_" + std::to_string(getpid()) + ".parquet");
  auto props = parquet::WriterProperties::Builder()
                   .compression(parquet::Compression::ZSTD)
                   ->disable_dictionary("ts")
                   ->encoding("ts", parquet::Encoding::DELTA_BINARY_PACKED)
                   ->disable_dictionary("value")
                   ->encoding("value", parquet::Encoding::BYTE_STREAM_SPLIT)
                   ->enable_statistics()
                   ->enable_write_page_index()
                   ->build();
  {
    auto out = arrow::io::FileOutputStream::Open(path.string());
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    auto st = parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *out, 1024, props);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_TRUE((*out)->Close().ok());
  }

  auto in = arrow::io::ReadableFile::Open(path.string());
  ASSERT_TRUE(in.ok());
  auto reader = parquet::arrow::OpenFile(*in, arrow::default_memory_pool());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto md = (*reader)->parquet_reader()->metadata();
  auto rg = md->RowGroup(0);
  auto has = [](const std::vector<parquet::Encoding::type>& encs, parquet::Encoding::type e) {
    return std::find(encs.begin(), encs.end(), e) != encs.end();
  };
  EXPECT_TRUE(has(rg->ColumnChunk(1)->encodings(), parquet::Encoding::DELTA_BINARY_PACKED));
  EXPECT_TRUE(has(rg->ColumnChunk(2)->encodings(), parquet::Encoding::BYTE_STREAM_SPLIT));
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(rg->ColumnChunk(c)->compression(), parquet::Compression::ZSTD) << c;
  }
  EXPECT_TRUE(rg->ColumnChunk(1)->is_stats_set());

  auto read = (*reader)->ReadTable();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ((*read)->num_rows(), int64_t(value_bits.size()));
  auto values = std::static_pointer_cast<arrow::DoubleArray>((*read)->column(2)->chunk(0));
  auto times = std::static_pointer_cast<arrow::TimestampArray>((*read)->column(1)->chunk(0));
  for (size_t i = 0; i < value_bits.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(values->Value(i)), value_bits[i]) << i;
    EXPECT_EQ(times->Value(i), 1700000000000 + int64_t(i) * 15000);
  }
  std::filesystem::remove(path);
}

}  // namespace
