// The decimal encoding of a chunk: samples whose values are decimals
// (common/decimal.h): each value is stored as the integer value * 10^scale,
// one scale per chunk, divided by 2^shift, the trailing zero bits every
// integer of the chunk has, with the integers delta-of-delta encoded. Counters,
// byte gauges and gauges with a few decimals, most of what is scraped, take
// about 1.5 bytes a sample here against about 4 in an XOR chunk
// (docs/format/chunk.md has the measurement).
//
// Stream layout (bits, most significant first):
//
//   +--------------------+------------------+----------------+
//   | i0: zigzag varint  | Δt1: uvarint     | samples 1..n-1 |
//   | (whole bytes)      | (whole bytes)    |                |
//   +--------------------+------------------+----------------+
//   The first timestamp is not in the stream: the chunk keeps it anyway
//   (its min_time), and passes it to the iterator (6 bytes a chunk saved).
//   sample i >= 1: the timestamp (from sample 2 on: its delta-of-delta in
//   XorChunk's code), then d = (i_k - i_k-1) - (i_k-1 - i_k-2), taking the
//   integer before i0 to be i0 (so sample 1 stores its plain delta),
//   zigzag-mapped to z and written as
//       '0'                  z == 0
//       '10'     + 4 bits    z < 2^4
//       '110'    + 8 bits    z < 2^8
//       '1110'   + 12 bits   z < 2^12
//       '11110'  + 20 bits   z < 2^20
//       '111110' + 32 bits   z < 2^32
//       '111111' + 64 bits   anything else
//   then zero bits up to the next byte boundary.
//
// The scale and the shift are not in the stream: like the sample count, the
// chunk keeps them (HeadChunk, which also raises the scale, lowers the
// shift, or moves to the XOR encoding, when a value needs it).
// internal::AppendDecimal (append_state.h) writes the stream.
#pragma once

#include <bit>
#include <cstdint>
#include <string_view>

#include "chunk/bit_stream.h"
#include "common/decimal.h"
#include "common/status.h"

namespace mytsdb::chunk {

// Decodes a decimal stream's samples in order, as XorIterator does.
class DecimalIterator {
 public:
  DecimalIterator() = default;  // yields nothing
  // `t0`: the first sample's timestamp, which the stream leaves out; the
  // stream's integers are the values times 10^scale, divided by 2^shift.
  DecimalIterator(std::string_view bytes, uint16_t num_samples, int scale, int shift, int64_t t0)
      : reader_(bytes),
        total_(num_samples),
        shift_(static_cast<uint8_t>(shift)),
        divisor_(static_cast<double>(decimal::kPowersOfTen[scale])),
        t_(t0) {}

  // As XorIterator's.
  bool Next();
  bool Seek(int64_t target);

  int64_t t() const { return t_; }
  double v() const { return static_cast<double>(integer()) / divisor_; }
  // The value times 10^scale.
  int64_t integer() const {
    return static_cast<int64_t>(static_cast<uint64_t>(integer_) << shift_);
  }
  uint64_t value_bits() const { return std::bit_cast<uint64_t>(v()); }

  Status status() const { return status_; }

 private:
  bool ReadFirst();
  bool Fail(const char* what);

  BitReader reader_;
  uint16_t total_ = 0;
  uint16_t read_ = 0;
  bool valid_ = false;
  uint8_t shift_ = 0;
  double divisor_ = 1;
  int64_t t_ = 0;
  uint64_t delta_ = 0;
  int64_t integer_ = 0;  // as stored: shifted right
  int64_t integer_delta_ = 0;
  Status status_;
};

}  // namespace mytsdb::chunk
