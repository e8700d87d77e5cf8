// Reading only the pages of a column chunk that hold wanted rows: located
// by the file's offset index (the cold tier's files all carry one), read
// by byte range (adjacent pages in one read), and decompressed with one
// context reused from page to page. Parquet's own page reader instead
// streams the whole column chunk through a buffer, reading every page's
// bytes to find the next header, and sets up a fresh ZSTD context per page:
// a fifth of a selective cold-tier query's time in its profile
// (docs/BENCHMARKS.md, "Reading only the wanted pages").
//
// The pages come out as parquet::PageReader, so Parquet's ColumnReader
// decodes them (levels, encodings, dictionaries) as it would any others.
#pragma once

#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>
#include <arrow/util/compression.h>
#include <parquet/column_reader.h>
#include <parquet/metadata.h>
#include <parquet/page_index.h>

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "common/result.h"

namespace mytsdb::cold {

// Decompresses whole pages, keeping one decompressor per codec for as long
// as it lives (one query), so that no page pays for a context of its own.
class PageDecompressors {
 public:
  // `in` decompressed into exactly out.size() bytes; Corruption otherwise.
  Status Decompress(parquet::Compression::type codec, std::span<const uint8_t> in,
                    std::span<uint8_t> out);

 private:
  struct Entry {
    parquet::Compression::type codec;
    std::unique_ptr<arrow::util::Codec> one_shot;
    std::shared_ptr<arrow::util::Decompressor> stream;  // null if the codec has none
  };
  std::vector<Entry> entries_;
};

// A page of a column chunk that holds wanted rows: its place in the offset
// index, its rows (in row group rows), and how many of them, from its
// first, reach its last wanted row (decoding stops there).
struct KeptPage {
  size_t index;
  int64_t first_row;
  int64_t num_rows;
  int64_t needed_rows;
};

// The pages that hold `wanted` rows ([first, end) ranges of the row group,
// sorted, not overlapping) of one column chunk whose offset index gave
// `locations`, in order.
std::vector<KeptPage> PagesHolding(const std::vector<parquet::PageLocation>& locations,
                                   int64_t row_group_rows,
                                   const std::vector<std::pair<int64_t, int64_t>>& wanted);

class SelectedPageReader : public parquet::PageReader {
 public:
  // Reads, now, the chunk's dictionary page (if it has one) and the `kept`
  // pages (PagesHolding's) of the column chunk `chunk` of `file`. Corruption if the offset index does not fit the chunk; the
  // pages' own headers are checked against it as they are decoded
  // (NextPage throws parquet::ParquetException then, as Parquet's reader
  // does).
  static Result<std::unique_ptr<SelectedPageReader>> Open(
      arrow::io::RandomAccessFile* file, const parquet::ColumnChunkMetaData& chunk,
      const std::vector<parquet::PageLocation>& locations, int64_t row_group_rows,
      std::span<const KeptPage> kept, PageDecompressors* decompressors);

  std::shared_ptr<parquet::Page> NextPage() override;
  void set_max_page_header_size(uint32_t) override {}

 private:
  // Bytes read in one go: the dictionary page, or a run of adjacent pages.
  struct Extent {
    std::shared_ptr<arrow::Buffer> bytes;
    bool dictionary = false;          // the dictionary page alone
    std::vector<int64_t> page_rows;   // each data page's rows, per the offset index
    std::vector<int64_t> page_sizes;  // each page's size, header included
  };
  SelectedPageReader(parquet::Compression::type codec, PageDecompressors* decompressors)
      : codec_(codec), decompressors_(decompressors) {}
  // The page at [offset, offset + size) of `bytes`; `rows` as the offset
  // index says (ignored for the dictionary).
  std::shared_ptr<parquet::Page> Decode(const std::shared_ptr<arrow::Buffer>& bytes, int64_t offset,
                                        int64_t size, int64_t rows, bool dictionary);
  // A page's payload after decompression: a slice of `bytes` when it is
  // not compressed, else `scratch_` (or a buffer of its own for the
  // dictionary, which must outlive the next page). The first `levels_size`
  // bytes are never compressed (data page v2).
  std::shared_ptr<arrow::Buffer> Payload(const std::shared_ptr<arrow::Buffer>& bytes, int64_t offset,
                                         int64_t size, int64_t uncompressed_size,
                                         int64_t levels_size, bool compressed, bool own_buffer);

  const parquet::Compression::type codec_;
  PageDecompressors* const decompressors_;
  std::vector<Extent> extents_;
  size_t extent_ = 0;     // the next page's extent
  size_t page_ = 0;       // and its index in that extent
  int64_t position_ = 0;  // and its offset in the extent's bytes
  std::shared_ptr<arrow::ResizableBuffer> scratch_;
};

}  // namespace mytsdb::cold
