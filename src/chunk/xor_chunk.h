// XorChunk: an append-only block of (timestamp, value) samples compressed
// with Facebook Gorilla's scheme, as Prometheus's head does
// (tsdb/chunkenc/xor.go): delta-of-delta timestamps and XOR-ed values.
//
// Layout (bits, most significant first; docs/format/chunk.md has the detail):
//
//   +----------------+-------------------+-------------+---------------------+
//   | count: 16 (BE) | t0: zigzag varint | v0: 64 bits | samples 1..count-1  |
//   +----------------+-------------------+-------------+---------------------+
//   sample 1:  Δt as unsigned varint, then value as below
//   sample i:  Δ-of-Δ:  '0' | '10'+14 | '110'+17 | '1110'+20 | '1111'+64 bits
//              value:   '0' (same bits) | '10' + bits in previous window
//                       | '11' + leading:5 + length:6 + bits
//
// Values are stored as their raw 64 bits: every NaN payload (Prometheus's
// staleness marker 0x7ff0000000000002 included), ±Inf and -0.0 round-trip.
//
// Not thread-safe: the owner (a head series) serialises appends and reads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "chunk/bit_stream.h"
#include "common/result.h"

namespace mytsdb::chunk {

class XorIterator;

class XorChunk {
 public:
  XorChunk();

  // Rebuilds a chunk from bytes() of another one (e.g. read back from disk),
  // ready for more appends. Corruption if the bytes do not decode.
  static Result<XorChunk> FromBytes(std::string_view bytes);

  // Appends a sample. The caller guarantees t > max_time() for every sample
  // but the first.
  void Append(int64_t t, double v);

  uint16_t num_samples() const { return num_samples_; }
  int64_t min_time() const { return min_time_; }  // valid if num_samples() > 0
  int64_t max_time() const { return last_t_; }    // valid if num_samples() > 0
  // The encoded stream, count header included.
  std::string_view bytes() const { return writer_.bytes(); }
  // Heap and inline bytes held, capacity slack included.
  size_t memory_bytes() const { return sizeof(*this) + writer_.bytes().capacity(); }

  // Iterates the samples present now. The iterator reads the chunk's buffer:
  // it must not outlive the chunk nor be used across an Append.
  XorIterator Iterator() const;

 private:
  void SetCount(uint16_t n);

  BitWriter writer_;
  uint16_t num_samples_ = 0;
  int64_t min_time_ = 0;
  int64_t last_t_ = 0;
  int64_t last_delta_ = 0;
  uint64_t last_value_bits_ = 0;
  uint8_t leading_ = 0xff;  // 0xff: no previous XOR window yet
  uint8_t trailing_ = 0;
};

// Decodes an XorChunk (or raw chunk bytes) sample by sample.
class XorIterator {
 public:
  explicit XorIterator(std::string_view bytes);

  // Advances to the next sample; false at the end or on error (see status()).
  bool Next();
  // Advances to the first sample with t >= target (the current one counts);
  // false if there is none.
  bool Seek(int64_t target);
  int64_t t() const { return t_; }
  double v() const;
  uint64_t value_bits() const { return value_bits_; }
  // Corruption if the stream ended early or was malformed.
  Status status() const { return status_; }

 private:
  bool Fail(const char* what);
  bool ReadVarint(uint64_t* out);

  BitReader reader_;
  uint16_t total_ = 0;
  uint16_t read_ = 0;
  int64_t t_ = 0;
  int64_t delta_ = 0;
  uint64_t value_bits_ = 0;
  uint8_t leading_ = 0;
  uint8_t trailing_ = 0;
  Status status_;
};

}  // namespace mytsdb::chunk
