#include "cold/page_reader.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_reader.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "cold/column_reader.h"

namespace mytsdb::cold {
namespace {

using Ranges = std::vector<std::pair<int64_t, int64_t>>;

TEST(PageReaderTest, PagesHoldingKeepsEachPageAWantedRangeTouches) {
  std::vector<parquet::PageLocation> pages = {{0, 1, 0}, {1, 1, 100}, {2, 1, 200}, {3, 1, 300}};
  auto indexes = [](const std::vector<KeptPage>& kept) {
    std::vector<size_t> out;
    for (const KeptPage& k : kept) out.push_back(k.index);
    return out;
  };
  auto kept = PagesHolding(pages, 350, {{150, 160}, {199, 201}, {340, 350}});
  EXPECT_EQ(indexes(kept), (std::vector<size_t>{1, 2, 3}));
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].first_row, 100);
  EXPECT_EQ(kept[2].num_rows, 50);
  // Decoding stops at each page's last wanted row.
  EXPECT_EQ(kept[0].needed_rows, 100);  // 199-201 starts in it: to its end
  EXPECT_EQ(kept[1].needed_rows, 1);    // rows 200 only
  EXPECT_EQ(kept[2].needed_rows, 50);
  kept = PagesHolding(pages, 350, {{0, 350}});
  EXPECT_EQ(kept.size(), 4u);
  kept = PagesHolding(pages, 350, {{100, 100}});  // empty range
  EXPECT_TRUE(kept.empty());
  kept = PagesHolding(pages, 350, {{99, 100}, {300, 301}});
  EXPECT_EQ(indexes(kept), (std::vector<size_t>{0, 3}));
  EXPECT_EQ(kept[0].needed_rows, 100);
  EXPECT_EQ(kept[1].needed_rows, 1);
}

// Columns like the cold tier's (delta-coded timestamps, plain doubles, a
// nullable integer with pages of nulls only, values only and mixed, a
// dictionary-encoded integer), written by Parquet in every page version
// and a few codecs.
class SelectedPagesTest : public ::testing::TestWithParam<
                              std::tuple<parquet::ParquetDataPageVersion, parquet::Compression::type>> {
 protected:
  static constexpr int64_t kRows = 60'000;
  static bool Present(int64_t r) { return (r % 3 != 0 && r < 20'000) || (r >= 30'000 && r < 45'000); }
  static int64_t Ts(int64_t r) { return 1'700'000'000'000 + r * 15'000 + (r % 7); }
  static double Value(int64_t r) { return static_cast<double>(r) * 0.5 - 7; }
  static int64_t Int(int64_t r) { return (r * 7919) % 100'003 - 50'000; }
  static int64_t Div(int64_t r) { return r % 4 == 0 ? 100 : 1; }

  void SetUp() override {
    arrow::Int64Builder ts, ints, divs;
    arrow::DoubleBuilder values;
    for (int64_t r = 0; r < kRows; ++r) {
      ASSERT_TRUE(ts.Append(Ts(r)).ok());
      ASSERT_TRUE(values.Append(Value(r)).ok());
      ASSERT_TRUE((Present(r) ? ints.Append(Int(r)) : ints.AppendNull()).ok());
      ASSERT_TRUE(divs.Append(Div(r)).ok());
    }
    std::shared_ptr<arrow::Array> a_ts, a_values, a_ints, a_divs;
    ASSERT_TRUE(ts.Finish(&a_ts).ok());
    ASSERT_TRUE(values.Finish(&a_values).ok());
    ASSERT_TRUE(ints.Finish(&a_ints).ok());
    ASSERT_TRUE(divs.Finish(&a_divs).ok());
    auto table = arrow::Table::Make(
        arrow::schema({arrow::field("ts", arrow::int64(), false), arrow::field("value", arrow::float64(), false),
                       arrow::field("int", arrow::int64()), arrow::field("div", arrow::int64(), false)}),
        {a_ts, a_values, a_ints, a_divs});
    path_ = (std::filesystem::temp_directory_path() /
             ("selected_pages_" + std::to_string(getpid()) + ".parquet")).string();
    auto out = arrow::io::FileOutputStream::Open(path_);
    ASSERT_TRUE(out.ok());
    auto props = parquet::WriterProperties::Builder()
                     .compression(std::get<1>(GetParam()))
                     ->data_page_version(std::get<0>(GetParam()))
                     ->disable_dictionary("ts")
                     ->encoding("ts", parquet::Encoding::DELTA_BINARY_PACKED)
                     ->disable_dictionary("value")
                     ->disable_dictionary("int")
                     ->encoding("int", parquet::Encoding::DELTA_BINARY_PACKED)
                     ->max_rows_per_page(3'000)
                     ->enable_write_page_index()
                     ->build();
    ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *out, 25'000, props).ok());
    ASSERT_TRUE((*out)->Close().ok());
    auto file = arrow::io::ReadableFile::Open(path_);
    ASSERT_TRUE(file.ok());
    file_ = *file;
    reader_ = parquet::ParquetFileReader::Open(file_);
    index_ = reader_->GetPageIndexReader();
    ASSERT_NE(index_, nullptr);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::vector<parquet::PageLocation> Locations(int rg, int column) {
    return index_->RowGroup(rg)->GetOffsetIndex(column)->page_locations();
  }

  std::string path_;
  std::shared_ptr<arrow::io::ReadableFile> file_;
  std::unique_ptr<parquet::ParquetFileReader> reader_;
  std::shared_ptr<parquet::PageIndexReader> index_;
};

// Random sets of wanted ranges: every wanted row reads back as written, by
// the selected pages as by Parquet's own reader.
TEST_P(SelectedPagesTest, WantedRowsReadAsWritten) {
  std::mt19937_64 rng(7);
  PageDecompressors decompressors;
  int64_t checked = 0, nulls = 0;
  for (int trial = 0; trial < 40; ++trial) {
    for (int rg = 0; rg < reader_->metadata()->num_row_groups(); ++rg) {
      auto meta = reader_->metadata()->RowGroup(rg);
      const int64_t base = rg * 25'000;
      const int64_t rows = meta->num_rows();
      Ranges wanted;
      for (int64_t at = static_cast<int64_t>(rng() % 4'000); at < rows;) {
        const int64_t len = 1 + static_cast<int64_t>(rng() % (trial % 4 == 0 ? 5'000 : 300));
        wanted.emplace_back(at, std::min(rows, at + len));
        at += len + static_cast<int64_t>(rng() % 9'000);
      }
      SparseColumn<parquet::Int64Type> ts, ints, divs, ts_whole;
      SparseColumn<parquet::DoubleType> values;
      Status st = ts.Read(file_.get(), *meta, 0, Locations(rg, 0), wanted, &decompressors);
      ASSERT_TRUE(st.ok()) << st.ToString();
      ASSERT_TRUE(values.Read(file_.get(), *meta, 1, Locations(rg, 1), wanted, &decompressors).ok());
      ASSERT_TRUE(ints.Read(file_.get(), *meta, 2, Locations(rg, 2), wanted, &decompressors).ok());
      ASSERT_TRUE(divs.Read(file_.get(), *meta, 3, Locations(rg, 3), wanted, &decompressors).ok());
      auto group = reader_->RowGroup(rg);
      ASSERT_TRUE(ts_whole.Read(*group, 0, wanted).ok());
      for (const auto& [first, end] : wanted) {
        for (int64_t k = 0; k < end - first; ++k) {
          const int64_t row = base + first + k;
          ASSERT_EQ(ts.rows(first)[k], Ts(row)) << row;
          ASSERT_EQ(ts_whole.rows(first)[k], Ts(row)) << row;
          ASSERT_EQ(values.rows(first)[k], Value(row)) << row;
          ASSERT_EQ(divs.rows(first)[k], Div(row)) << row;
          ASSERT_EQ(ints.valid(first)[k] != 0, Present(row)) << row;
          ASSERT_EQ(ints.rows(first)[k], Present(row) ? Int(row) : 0) << row;
          nulls += !Present(row);
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 100'000);
  EXPECT_GT(nulls, 10'000);
}

INSTANTIATE_TEST_SUITE_P(
    Versions, SelectedPagesTest,
    ::testing::Combine(::testing::Values(parquet::ParquetDataPageVersion::V1,
                                         parquet::ParquetDataPageVersion::V2),
                       ::testing::Values(parquet::Compression::ZSTD, parquet::Compression::SNAPPY,
                                         parquet::Compression::UNCOMPRESSED)));

// What the cold tier's read path relies on to fall back to Parquet's own
// page reader: a file written without page indexes gives no offset index
// (no row group reader, or none for the column), rather than an error.
TEST(SelectedPagesFallbackTest, AFileWithoutPageIndexesGivesNoOffsetIndex) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("no_page_index_" + std::to_string(getpid()) + ".parquet")).string();
  arrow::Int64Builder builder;
  for (int64_t r = 0; r < 5'000; ++r) ASSERT_TRUE(builder.Append(r).ok());
  std::shared_ptr<arrow::Array> array;
  ASSERT_TRUE(builder.Finish(&array).ok());
  auto table = arrow::Table::Make(arrow::schema({arrow::field("v", arrow::int64(), false)}), {array});
  {
    auto out = arrow::io::FileOutputStream::Open(path);
    ASSERT_TRUE(out.ok());
    auto props = parquet::WriterProperties::Builder().disable_write_page_index()->build();
    ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *out, 5'000, props).ok());
    ASSERT_TRUE((*out)->Close().ok());
  }
  auto file = arrow::io::ReadableFile::Open(path);
  ASSERT_TRUE(file.ok());
  auto reader = parquet::ParquetFileReader::Open(*file);
  auto index = parquet::PageIndexReader::Make(file->get(), reader->metadata(), parquet::ReaderProperties());
  std::shared_ptr<parquet::RowGroupPageIndexReader> group = index ? index->RowGroup(0) : nullptr;
  EXPECT_EQ(group ? group->GetOffsetIndex(0) : nullptr, nullptr);
  std::filesystem::remove(path);
}

// An offset index that does not fit its pages, and damaged page bytes:
// errors, never a crash or wrong rows passed off as right.
TEST(SelectedPagesCorruptionTest, MismatchedIndexesAndDamagedPagesAreErrors) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("damaged_pages_" + std::to_string(getpid()) + ".parquet")).string();
  arrow::Int64Builder builder;
  for (int64_t r = 0; r < 20'000; ++r) ASSERT_TRUE(builder.Append(r * 1'000 + r % 13).ok());
  std::shared_ptr<arrow::Array> array;
  ASSERT_TRUE(builder.Finish(&array).ok());
  auto table = arrow::Table::Make(arrow::schema({arrow::field("v", arrow::int64(), false)}), {array});
  {
    auto out = arrow::io::FileOutputStream::Open(path);
    ASSERT_TRUE(out.ok());
    auto props = parquet::WriterProperties::Builder()
                     .compression(parquet::Compression::ZSTD)
                     ->disable_dictionary()
                     ->encoding(parquet::Encoding::DELTA_BINARY_PACKED)
                     ->max_rows_per_page(2'000)
                     ->enable_write_page_index()
                     ->build();
    ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *out, 20'000, props).ok());
    ASSERT_TRUE((*out)->Close().ok());
  }
  auto open = [&] {
    auto file = arrow::io::ReadableFile::Open(path);
    EXPECT_TRUE(file.ok());
    return *file;
  };
  std::shared_ptr<arrow::io::ReadableFile> file = open();
  auto reader = parquet::ParquetFileReader::Open(file);
  auto meta = reader->metadata()->RowGroup(0);
  const auto locations = reader->GetPageIndexReader()->RowGroup(0)->GetOffsetIndex(0)->page_locations();
  ASSERT_EQ(locations.size(), 10u);
  const Ranges wanted = {{4'100, 4'200}, {9'000, 12'500}};
  PageDecompressors decompressors;
  {
    SparseColumn<parquet::Int64Type> v;
    ASSERT_TRUE(v.Read(file.get(), *meta, 0, locations, wanted, &decompressors).ok());
    EXPECT_EQ(v.rows(4'100)[0], 4'100 * 1'000 + 4'100 % 13);
  }
  auto expect_error = [&](std::vector<parquet::PageLocation> bad, const std::string& why) {
    SparseColumn<parquet::Int64Type> v;
    Status st = v.Read(file.get(), *meta, 0, bad, wanted, &decompressors);
    EXPECT_TRUE(st.IsCorruption()) << why << ": " << st.ToString();
  };
  {
    auto bad = locations;
    bad[2].offset += 1;  // into the middle of a header, size unchanged
    expect_error(bad, "shifted page");
  }
  {
    auto bad = locations;
    bad[2].first_row_index += 10;  // the page then holds fewer rows than its header
    expect_error(bad, "rows differ");
  }
  {
    auto bad = locations;
    bad[3].compressed_page_size += 100;  // overlaps the next page
    expect_error(bad, "overlapping pages");
  }
  {
    auto bad = locations;
    bad.back().offset = 1 << 30;  // outside the column chunk
    expect_error(bad, "page outside the chunk");
  }
  expect_error({}, "no pages");

  // Damage the compressed bytes of page 4 (rows 8,000-10,000, wanted):
  // ZSTD's frame checks or the decoder reject it.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const int64_t at = locations[4].offset + locations[4].compressed_page_size - 20;
    f.seekp(at);
    const char junk[12] = {'\x7f', '\x01', '\x33', '\x00', '\xff', '\x10', '\x42', '\x99', '\x00', '\x00', '\x05', '\x06'};
    f.write(junk, sizeof junk);
  }
  file = open();
  SparseColumn<parquet::Int64Type> v;
  Status st = v.Read(file.get(), *meta, 0, locations, wanted, &decompressors);
  if (st.ok()) {
    // Damage that still decodes must at least not pass as the right rows.
    bool same = true;
    for (int64_t r = 9'000; r < 10'000; ++r) same = same && v.rows(9'000)[r - 9'000] == r * 1'000 + r % 13;
    EXPECT_FALSE(same);
  } else {
    EXPECT_TRUE(st.IsCorruption()) << st.ToString();
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace mytsdb::cold
