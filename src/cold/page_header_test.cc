#include "cold/page_header.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>
#include <parquet/column_page.h>
#include <parquet/column_reader.h>
#include <parquet/file_reader.h>
#include <parquet/page_index.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace mytsdb::cold {
namespace {

// A Thrift compact protocol writer, enough to build headers by hand.
class Compact {
 public:
  Compact& Field(int id, uint8_t type) {
    if (id > last_.back() && id - last_.back() <= 15) {
      bytes_.push_back(static_cast<uint8_t>((id - last_.back()) << 4 | type));
    } else {  // long form: the id as a zigzag varint after the type
      bytes_.push_back(type);
      Varint(Zig(id));
    }
    last_.back() = id;
    return *this;
  }
  Compact& I32(int id, int64_t v) {
    Field(id, 5);
    Varint(Zig(v));
    return *this;
  }
  Compact& Begin(int id) {
    Field(id, 12);
    last_.push_back(0);
    return *this;
  }
  Compact& End() {
    bytes_.push_back(0);
    last_.pop_back();
    return *this;
  }
  Compact& Raw(std::initializer_list<uint8_t> b) {
    bytes_.insert(bytes_.end(), b);
    return *this;
  }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      bytes_.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    bytes_.push_back(static_cast<uint8_t>(v));
  }
  std::vector<uint8_t> Done() {
    bytes_.push_back(0);
    return bytes_;
  }

 private:
  static uint64_t Zig(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
  std::vector<uint8_t> bytes_;
  std::vector<int> last_{0};
};

// A V1 data page header: 100 values, PLAIN, RLE levels.
Compact DataPage(int32_t uncompressed = 800, int32_t compressed = 500) {
  Compact c;
  c.I32(1, 0).I32(2, uncompressed).I32(3, compressed);
  c.Begin(5).I32(1, 100).I32(2, 0).I32(3, 3).I32(4, 3).End();
  return c;
}

Status Parse(const std::vector<uint8_t>& bytes, PageHeader* h, size_t* size) {
  return ParsePageHeader(std::span<const uint8_t>(bytes.data(), bytes.size()), h, size);
}

TEST(PageHeaderTest, ReadsTheFieldsOfEachKindOfPage) {
  PageHeader h;
  size_t size = 0;
  auto v1 = DataPage().Done();
  ASSERT_TRUE(Parse(v1, &h, &size).ok());
  EXPECT_EQ(size, v1.size());
  EXPECT_EQ(h.kind, PageKind::kData);
  EXPECT_EQ(h.uncompressed_size, 800);
  EXPECT_EQ(h.compressed_size, 500);
  EXPECT_EQ(h.num_values, 100);
  EXPECT_EQ(h.definition_level_encoding, 3);

  Compact v2;
  v2.I32(1, 3).I32(2, 900).I32(3, 600);
  v2.Begin(8).I32(1, 120).I32(2, 20).I32(3, 120).I32(4, 5).I32(5, 30).I32(6, 0).Raw({0x12}).End();
  auto v2_bytes = v2.Done();
  ASSERT_TRUE(Parse(v2_bytes, &h, &size).ok());
  EXPECT_EQ(h.kind, PageKind::kDataV2);
  EXPECT_EQ(h.num_nulls, 20);
  EXPECT_EQ(h.num_rows, 120);
  EXPECT_EQ(h.encoding, 5);
  EXPECT_EQ(h.definition_levels_byte_length, 30);
  EXPECT_FALSE(h.is_compressed);  // field 7 (delta 1 from 6), boolean false

  Compact dict;
  dict.I32(1, 2).I32(2, 64).I32(3, 64).Begin(7).I32(1, 8).I32(2, 0).Raw({0x11}).End();
  ASSERT_TRUE(Parse(dict.Done(), &h, &size).ok());
  EXPECT_EQ(h.kind, PageKind::kDictionary);
  EXPECT_EQ(h.num_values, 8);
  EXPECT_TRUE(h.is_sorted);
}

// Fields the parser does not know (statistics, CRC, later additions) of
// every type, short and long field ids: skipped, the header still read,
// and its size counts them.
TEST(PageHeaderTest, SkipsFieldsItDoesNotNeed) {
  Compact c;
  c.I32(1, 0).I32(2, 800).I32(3, 500).I32(4, -12345);  // CRC
  c.Begin(5).I32(1, 100).I32(2, 0).I32(3, 3).I32(4, 3);
  c.Begin(5);  // statistics: binaries, an i64, booleans
  c.Field(1, 8).Raw({3, 'a', 'b', 'c'}).Field(2, 8).Raw({0}).Field(3, 6).Raw({0x80, 0x01});
  c.Field(7, 1).Field(8, 2).End();
  c.End();
  c.Field(200, 7).Raw({0, 0, 0, 0, 0, 0, 0xf0, 0x3f});  // a double with a long-form id
  c.Field(201, 9).Raw({0x2c, 0x15, 0x02, 0x00, 0x00});   // a list of two structs
  c.Field(202, 11).Raw({0x02, 0x85, 0x01, 0x61, 0x02, 0x01, 0x62, 0x04});  // map<binary,i32> of 2
  c.Field(203, 9).Raw({0x31, 0x01, 0x02, 0x01});  // a list of three booleans, a byte each
  c.Field(204, 3).Raw({0x7f}).Field(205, 4).Raw({0x03});
  auto bytes = c.Done();
  PageHeader h;
  size_t size = 0;
  Status st = Parse(bytes, &h, &size);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(size, bytes.size());
  EXPECT_EQ(h.num_values, 100);
  EXPECT_EQ(h.compressed_size, 500);

  // What follows the header (the page's bytes) is not read.
  bytes.insert(bytes.end(), {0xff, 0xff, 0xff});
  ASSERT_TRUE(Parse(bytes, &h, &size).ok());
  EXPECT_EQ(size, bytes.size() - 3);
}

TEST(PageHeaderTest, EveryTruncationIsCorruption) {
  Compact c = DataPage();
  c.Field(9, 8).Raw({5, 1, 2, 3, 4, 5});
  auto bytes = c.Done();
  PageHeader h;
  size_t size = 0;
  ASSERT_TRUE(Parse(bytes, &h, &size).ok());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
    Status st = Parse(cut, &h, &size);
    EXPECT_TRUE(st.IsCorruption()) << n << ": " << st.ToString();
  }
}

TEST(PageHeaderTest, RefusesHeadersThatDoNotDescribeAPage) {
  PageHeader h;
  size_t size = 0;
  auto refused = [&](Compact c, const std::string& why) {
    Status st = Parse(c.Done(), &h, &size);
    EXPECT_TRUE(st.IsCorruption()) << why << ": " << st.ToString();
  };
  {
    Compact c;
    c.I32(1, 0).I32(2, 800);  // no compressed size
    c.Begin(5).I32(1, 100).I32(2, 0).I32(3, 3).I32(4, 3).End();
    refused(c, "no compressed size");
  }
  {
    Compact c;
    c.I32(1, 0).I32(2, 800).I32(3, 500);  // no data page header
    refused(c, "no data page header");
  }
  {
    Compact c;
    c.I32(1, 0).I32(2, 800).I32(3, 500).Begin(5).I32(1, 100).I32(2, 0).End();  // no level encodings
    refused(c, "incomplete data page header");
  }
  refused(DataPage(-1, 500), "negative size");
  refused(DataPage(800, -5), "negative compressed size");
  {
    Compact c;
    c.I32(1, 7).I32(2, 8).I32(3, 8);
    refused(c, "unknown page type");
  }
  {
    Compact c;
    c.I32(1, 0).I32(2, 800).I32(3, 500).Begin(5).I32(1, -3).I32(2, 0).I32(3, 3).I32(4, 3).End();
    refused(c, "negative value count");
  }
  {
    Compact c;  // v2 whose levels are longer than the page
    c.I32(1, 3).I32(2, 100).I32(3, 100);
    c.Begin(8).I32(1, 10).I32(2, 0).I32(3, 10).I32(4, 0).I32(5, 90).I32(6, 20).End();
    refused(c, "levels past the page");
  }
  {
    Compact c = DataPage();
    c.I32(2, int64_t{1} << 40);  // out of i32 range
    refused(c, "integer out of range");
  }
  {
    Compact c = DataPage();
    c.Field(9, 9).Raw({0xf5, 0xff, 0xff, 0xff, 0xff, 0x0f});  // a list claiming 4 billion i32
    refused(c, "a list longer than the input");
  }
  {
    Compact c = DataPage();
    c.Field(9, 13);  // no such type
    refused(c, "unknown type");
  }
  {
    Compact c = DataPage();
    for (int i = 0; i < 40; ++i) c.Begin(9);  // structs within structs
    for (int i = 0; i < 40; ++i) c.End();
    refused(c, "nested too deeply");
  }
  {
    // Lists within lists, a byte each: deep enough to overflow the stack
    // if every level recursed.
    Compact c = DataPage();
    c.Field(9, 9);
    for (int i = 0; i < 1'000'000; ++i) c.Raw({0x19});  // a list of one list
    refused(c, "lists nested too deeply");
  }
}

// The reference: every page header Parquet's writer produces, for each
// page version, codec and encoding the cold tier could meet, reads as
// Parquet's own reader reads it, and spans exactly what the offset index
// says.
TEST(PageHeaderTest, ReadsEveryHeaderParquetWritesAsParquetReadsIt) {
  const int64_t rows = 30'000;
  arrow::Int64Builder ts, ints;
  arrow::DoubleBuilder values;
  arrow::StringBuilder names;
  for (int64_t r = 0; r < rows; ++r) {
    ASSERT_TRUE(ts.Append(1'700'000'000'000 + r * 15'000).ok());
    ASSERT_TRUE((r % 5 == 0 ? ints.AppendNull() : ints.Append(r * r % 1000)).ok());
    ASSERT_TRUE(values.Append(r * 0.25).ok());
    ASSERT_TRUE(names.Append("name-" + std::to_string(r % 17)).ok());
  }
  std::shared_ptr<arrow::Array> a_ts, a_ints, a_values, a_names;
  ASSERT_TRUE(ts.Finish(&a_ts).ok());
  ASSERT_TRUE(ints.Finish(&a_ints).ok());
  ASSERT_TRUE(values.Finish(&a_values).ok());
  ASSERT_TRUE(names.Finish(&a_names).ok());
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("ts", arrow::int64(), false), arrow::field("ints", arrow::int64()),
                     arrow::field("values", arrow::float64(), false), arrow::field("names", arrow::utf8())}),
      {a_ts, a_ints, a_values, a_names});
  int pages_checked = 0, dictionaries = 0;
  for (auto version : {parquet::ParquetDataPageVersion::V1, parquet::ParquetDataPageVersion::V2}) {
    for (auto codec : {parquet::Compression::ZSTD, parquet::Compression::SNAPPY,
                       parquet::Compression::UNCOMPRESSED}) {
      const std::string path = (std::filesystem::temp_directory_path() /
                                ("page_header_" + std::to_string(getpid()) + ".parquet")).string();
      {
        auto out = arrow::io::FileOutputStream::Open(path);
        ASSERT_TRUE(out.ok());
        auto props = parquet::WriterProperties::Builder()
                         .compression(codec)
                         ->data_page_version(version)
                         ->disable_dictionary("ts")
                         ->encoding("ts", parquet::Encoding::DELTA_BINARY_PACKED)
                         ->disable_dictionary("values")
                         ->enable_write_page_index()
                         ->enable_statistics()
                         ->data_pagesize(16 * 1024)
                         ->build();
        ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *out, 20'000, props).ok());
        ASSERT_TRUE((*out)->Close().ok());
      }
      auto file = arrow::io::ReadableFile::Open(path);
      ASSERT_TRUE(file.ok());
      auto reader = parquet::ParquetFileReader::Open(*file);
      auto index = reader->GetPageIndexReader();
      ASSERT_NE(index, nullptr);
      for (int rg = 0; rg < reader->metadata()->num_row_groups(); ++rg) {
        for (int col = 0; col < 4; ++col) {
          auto locations = index->RowGroup(rg)->GetOffsetIndex(col)->page_locations();
          auto chunk = reader->metadata()->RowGroup(rg)->ColumnChunk(col);
          // Parquet's own reader, page by page, alongside.
          auto pages = reader->RowGroup(rg)->GetColumnPageReader(col);
          size_t data_page = 0;
          while (auto page = pages->NextPage()) {
            if (page->type() == parquet::PageType::DICTIONARY_PAGE) {
              const int64_t at = chunk->dictionary_page_offset();
              const int64_t len = locations[0].offset - at;
              auto bytes = (*file)->ReadAt(at, len);
              ASSERT_TRUE(bytes.ok());
              PageHeader h;
              size_t size = 0;
              ASSERT_TRUE(ParsePageHeader({(*bytes)->data(), static_cast<size_t>(len)}, &h, &size).ok());
              EXPECT_EQ(h.kind, PageKind::kDictionary);
              EXPECT_EQ(static_cast<int64_t>(size) + h.compressed_size, len);
              EXPECT_EQ(h.num_values, static_cast<const parquet::DictionaryPage&>(*page).num_values());
              ++dictionaries;
              continue;
            }
            ASSERT_LT(data_page, locations.size());
            const parquet::PageLocation& loc = locations[data_page++];
            auto bytes = (*file)->ReadAt(loc.offset, loc.compressed_page_size);
            ASSERT_TRUE(bytes.ok());
            PageHeader h;
            size_t size = 0;
            Status st = ParsePageHeader({(*bytes)->data(), static_cast<size_t>(loc.compressed_page_size)},
                                        &h, &size);
            ASSERT_TRUE(st.ok()) << st.ToString();
            EXPECT_EQ(static_cast<int64_t>(size) + h.compressed_size, loc.compressed_page_size);
            const auto& data = static_cast<const parquet::DataPage&>(*page);
            EXPECT_EQ(h.num_values, data.num_values());
            EXPECT_EQ(h.encoding, static_cast<int32_t>(data.encoding()));
            EXPECT_EQ(h.uncompressed_size, data.uncompressed_size());
            if (version == parquet::ParquetDataPageVersion::V1) {
              EXPECT_EQ(h.kind, PageKind::kData);
            } else {
              ASSERT_EQ(h.kind, PageKind::kDataV2);
              const auto& v2 = static_cast<const parquet::DataPageV2&>(*page);
              EXPECT_EQ(h.num_nulls, v2.num_nulls());
              EXPECT_EQ(h.num_rows, v2.num_rows());
              EXPECT_EQ(h.definition_levels_byte_length, v2.definition_levels_byte_length());
            }
            ++pages_checked;
          }
          EXPECT_EQ(data_page, locations.size());
        }
      }
      std::filesystem::remove(path);
    }
  }
  EXPECT_GT(pages_checked, 6 * 4 * 2);  // several pages per column chunk
  EXPECT_GT(dictionaries, 6);
}

}  // namespace
}  // namespace mytsdb::cold
