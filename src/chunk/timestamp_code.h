// The parts of a chunk's stream that the XOR and decimal encodings share:
// whole-byte varints for the first sample and the first interval, and
// Gorilla's delta-of-delta code for the timestamps after them (the layout is
// in xor_chunk.h and docs/format/chunk.md).
#pragma once

#include <bit>
#include <cstdint>
#include <string_view>

#include "chunk/bit_stream.h"
#include "common/coding.h"

namespace mytsdb::chunk::internal {

// A varint in whole bytes (LEB128); the writer is at a byte boundary.
inline void WriteVarint(BitWriter* writer, uint64_t v) {
  while (v >= 0x80) {
    writer->WriteBits((v & 0x7f) | 0x80, 8);
    v >>= 7;
  }
  writer->WriteBits(v, 8);
}

// Reads what WriteVarint wrote; false if it is malformed or truncated.
inline bool ReadVarint(BitReader* reader, uint64_t* v) {
  std::string_view rest = reader->RemainingBytes();
  const size_t before = rest.size();
  if (!coding::GetVarint64(&rest, v)) return false;
  reader->SkipBytes(before - rest.size());
  return true;
}

// A timestamp's delta-of-delta, in Prometheus's buckets:
//   '0' dod == 0; '10' + 14 bits; '110' + 17 bits; '1110' + 20 bits;
//   '1111' + 64 bits.
inline void WriteTimestampDod(BitWriter* writer, int64_t dod) {
  const uint64_t u = static_cast<uint64_t>(dod);
  if (dod == 0) {
    writer->WriteBits(0, 1);
  } else if (dod >= -8191 && dod <= 8192) {
    writer->WriteBits((uint64_t{0b10} << 14) | (u & 0x3fff), 2 + 14);
  } else if (dod >= -65535 && dod <= 65536) {
    writer->WriteBits((uint64_t{0b110} << 17) | (u & 0x1ffff), 3 + 17);
  } else if (dod >= -524287 && dod <= 524288) {
    writer->WriteBits((uint64_t{0b1110} << 20) | (u & 0xfffff), 4 + 20);
  } else {
    writer->WriteBits(0b1111, 4);
    writer->WriteBits(u, 64);
  }
}

// Reads what WriteTimestampDod wrote, as a two's-complement uint64.
[[gnu::always_inline]] inline uint64_t ReadTimestampDod(BitReader* reader) {
  const uint64_t word = reader->Peek();
  if ((word >> 63) == 0) {
    reader->Skip(1);
    return 0;
  }
  const int ones = std::countl_one(word);
  if (ones >= 4) {
    reader->Skip(4);
    return reader->ReadBits(64);
  }
  static constexpr int kWidth[] = {0, 14, 17, 20};
  const int width = kWidth[ones];
  uint64_t dod = (word << (ones + 1)) >> (64 - width);
  // Prometheus's ranges are -(2^(w-1) - 1) .. 2^(w-1).
  if (dod > (uint64_t{1} << (width - 1))) dod -= uint64_t{1} << width;
  reader->Skip(ones + 1 + width);
  return dod;
}

}  // namespace mytsdb::chunk::internal
