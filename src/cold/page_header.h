// The header in front of every Parquet page (parquet.thrift's PageHeader,
// Thrift compact protocol), parsed by the cold tier's selective page reader
// (page_reader.h), which reads pages by the byte ranges of a file's offset
// index instead of through Parquet's sequential reader. Only what decoding
// a page needs is kept; statistics, CRC and fields added to the format
// later are skipped. Written here because Parquet's own header parser (its
// Thrift-generated parquet::format types) is not part of the headers the
// pyarrow wheel installs.
//
// Faces whatever bytes a file holds: every length is checked against the
// input, nesting is bounded, and anything else is Corruption (fuzzed by
// page_header_fuzz.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/status.h"

namespace mytsdb::cold {

// parquet.thrift's PageType.
enum class PageKind : int32_t { kData = 0, kIndex = 1, kDictionary = 2, kDataV2 = 3 };

struct PageHeader {
  PageKind kind = PageKind::kData;
  int32_t uncompressed_size = 0;  // of the page's payload, after the header
  int32_t compressed_size = 0;
  // A data or dictionary page's value count (nulls included) and encoding
  // (parquet.thrift's Encoding).
  int32_t num_values = 0;
  int32_t encoding = 0;
  // kData only.
  int32_t definition_level_encoding = 0;
  int32_t repetition_level_encoding = 0;
  // kDataV2 only: levels come first, uncompressed, then the values, which
  // are compressed unless is_compressed is false.
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;
  // kDictionary only.
  bool is_sorted = false;
};

// Parses the header at the start of `bytes` into *out and sets
// *header_size to its length. Corruption if the bytes do not begin with a
// whole header, a field the kind of page requires is missing, or a size or
// count is negative.
Status ParsePageHeader(std::span<const uint8_t> bytes, PageHeader* out, size_t* header_size);

}  // namespace mytsdb::cold
