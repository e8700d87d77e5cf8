// libFuzzer target: arbitrary bytes as a Parquet page header. The parser
// must never crash, read past its input or loop for long, and what it
// accepts must satisfy the invariants the page reader relies on.
#include <cstdlib>
#include <span>

#include "cold/page_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mytsdb::cold::PageHeader header;
  size_t header_size = 0;
  mytsdb::Status st = mytsdb::cold::ParsePageHeader(std::span<const uint8_t>(data, size), &header,
                                                    &header_size);
  if (!st.ok()) return 0;
  if (header_size == 0 || header_size > size) std::abort();
  if (header.uncompressed_size < 0 || header.compressed_size < 0 || header.num_values < 0) std::abort();
  if (header.kind == mytsdb::cold::PageKind::kDataV2 &&
      (header.definition_levels_byte_length < 0 || header.repetition_levels_byte_length < 0 ||
       int64_t{header.definition_levels_byte_length} + header.repetition_levels_byte_length >
           header.compressed_size)) {
    std::abort();
  }
  return 0;
}
