// XorChunk: an append-only block of (int64 ms timestamp, double value) samples
// compressed with Facebook Gorilla's scheme as Prometheus's head does
// (tsdb/chunkenc/xor.go): delta-of-delta timestamps and XOR-ed values.
// The head's chunks (HeadChunk) write this encoding through the same
// internal::AppendXor and read it with XorIterator once a value is no
// decimal; XorChunk is the self-contained form, with its append state
// inside and Prometheus's bytes in and out (FromBytes, bytes()).
//
// Stream layout (bits, most significant first; docs/format/chunk.md has the
// detail and the memory bound):
//
//   +---------------------+-------------+----------------------+---------+--------+
//   | t0: zigzag varint   | v0: 64 bits | Δt1: uvarint         | value 1 | 2..n-1 |
//   | (1-10 whole bytes)  | IEEE-754    | (1-10 whole bytes)   |         |        |
//   +---------------------+-------------+----------------------+---------+--------+
//   sample i >= 2:  dod = Δti - Δti-1, then the value
//       dod:   '0'                    dod == 0
//              '10'   + 14 bits       -8191 .. 8192      (two's complement, but
//              '110'  + 17 bits       -65535 .. 65536     the all-ones-then-zeros
//              '1110' + 20 bits       -524287 .. 524288   pattern means +2^(n-1))
//              '1111' + 64 bits       anything else
//       value: x = bits(v) XOR bits(previous v)
//              '0'                                    x == 0
//              '10' + x >> trailing, in the previous window's width
//              '11' + leading zeros:5 + width:6 (64 stored as 0) + x >> trailing
//   then zero bits up to the next byte boundary.
//
// The stream is byte-for-byte Prometheus's XOR chunk without its 2-byte
// big-endian sample count, which lives outside the stream here
// (num_samples()). Values are stored as raw bits: every NaN payload
// (Prometheus's staleness marker 0x7ff0000000000002 included), ±Inf, -0.0
// and denormals round-trip exactly.
//
// Not thread-safe: the owner serialises appends and reads. Move-only; a
// moved-from chunk is empty.
#pragma once

#include <bit>
#include <cstdint>
#include <string_view>

#include "chunk/append_state.h"
#include "chunk/bit_stream.h"
#include "common/result.h"
#include "common/status.h"

namespace mytsdb::chunk {

class XorIterator;

// Append-only compressed chunk of samples with strictly increasing timestamps.
class XorChunk {
 public:
  // At most this many samples (the count is 16 bits, as in Prometheus).
  static constexpr uint16_t kMaxSamples = UINT16_MAX;

  XorChunk() = default;  // empty, no heap memory until the first Append
  XorChunk(XorChunk&& other) noexcept;
  XorChunk& operator=(XorChunk&& other) noexcept;
  XorChunk(const XorChunk&) = delete;
  XorChunk& operator=(const XorChunk&) = delete;

  // Rebuilds a chunk from bytes()/num_samples() of another chunk (e.g. read
  // from disk), ready for more appends. Returns Corruption if the bytes do not
  // decode to exactly `num_samples` samples with increasing timestamps,
  // followed by at most 8 zero padding bits. (Prometheus's encoder sometimes
  // leaves a whole zero byte at the end; it is accepted and dropped, so
  // bytes() may then be one byte shorter than the input.)
  // Limit of the format: '00' is a valid sample (same interval and value), so
  // zero padding can pass for up to 4 extra samples; a count a little too high
  // is not always detected. Whoever stores the count must protect it.
  static Result<XorChunk> FromBytes(std::string_view bytes, uint16_t num_samples);

  // Appends a sample. The caller guarantees t > max_time() for every sample
  // but the first, and num_samples() < kMaxSamples (checked: aborts).
  void Append(int64_t t, double v);

  uint16_t num_samples() const { return num_samples_; }
  int64_t min_time() const { return min_time_; }  // only valid if num_samples() > 0
  int64_t max_time() const { return last_t_; }    // only valid if num_samples() > 0

  // The encoded stream (what would be persisted, together with
  // num_samples()). Invalidated by Append, Compact and destruction.
  std::string_view bytes() const { return writer_.bytes(); }

  // Heap bytes held (the buffer's capacity, slack included) + sizeof(*this).
  size_t memory_bytes() const { return sizeof(*this) + writer_.capacity(); }

  // Gives back unused buffer capacity; for a chunk that is full (cut). Later
  // appends still work but may reallocate.
  void Compact() { writer_.ShrinkToFit(); }

  // An iterator over the samples present now. It reads the chunk's buffer in
  // place: the chunk must not be appended to, compacted, moved or destroyed
  // while the iterator is in use.
  XorIterator Iterator() const;

 private:
  BitWriter writer_;
  uint16_t num_samples_ = 0;
  int64_t min_time_ = 0;
  int64_t last_t_ = 0;
  AppendState state_;
};

// Decodes samples from an XorChunk or from raw chunk bytes, in order.
//
//   XorIterator it = chunk.Iterator();
//   while (it.Next()) Use(it.t(), it.v());
//   if (!it.status().ok()) ...;  // Corruption
//
// Not thread-safe. Does not own the bytes it reads.
class XorIterator {
 public:
  XorIterator() = default;  // yields nothing
  // Decodes `num_samples` samples from `bytes` (a chunk's bytes()), which
  // must stay valid and unchanged while the iterator is used.
  XorIterator(std::string_view bytes, uint16_t num_samples)
      : reader_(bytes), total_(num_samples) {}

  // Advances to the next sample; false at the end or on error (then see
  // status()). t(), v() and value_bits() are valid only after Next() or Seek()
  // returned true.
  bool Next();
  // Advances to the first sample with t >= target (the current one counts);
  // false if there is none.
  bool Seek(int64_t target);

  int64_t t() const { return t_; }
  double v() const { return std::bit_cast<double>(value_bits_); }
  uint64_t value_bits() const { return value_bits_; }

  // Corruption if the stream ended early or was malformed.
  Status status() const { return status_; }

 private:
  friend class XorChunk;

  bool ReadFirst();
  bool Fail(const char* what);

  BitReader reader_;
  uint16_t total_ = 0;
  uint16_t read_ = 0;
  bool valid_ = false;       // the last Next() returned true
  bool has_window_ = false;  // a '11' value has set leading_/trailing_
  uint8_t leading_ = 0;      // a '10' before any '11' means the 64-bit window
  uint8_t trailing_ = 0;
  int64_t t_ = 0;
  uint64_t delta_ = 0;
  uint64_t value_bits_ = 0;
  Status status_;
};

}  // namespace mytsdb::chunk
