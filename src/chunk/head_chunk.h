// HeadChunk: a chunk of the head's series, in the encoding its values allow.
// It starts in the decimal encoding (integers over a power of ten, ~1.5
// bytes a sample on scraped data; decimal_chunk.h) and moves to the XOR
// encoding (Gorilla, ~4 bytes, any double; xor_chunk.h) from the first value
// that is no decimal: a NaN staleness marker, ±Inf, -0, or a value with more
// than nine decimal places. Either way every value reads back bit for bit.
//
// The object holds the stream and the chunk's bounds, 32 bytes; what
// appending needs besides (AppendState) the caller keeps, one per series,
// for its newest chunk: a series' closed chunks carry none of it.
//
// Hot loops take the concrete iterator through VisitIterator, so that each
// encoding's decoder is compiled into the loop; Iterator() is for the rest.
//
// Not thread-safe: the owner (a head series) serialises appends and reads.
// Move-only; a moved-from chunk is empty.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <variant>

#include "chunk/append_state.h"
#include "chunk/bit_stream.h"
#include "chunk/decimal_chunk.h"
#include "chunk/xor_chunk.h"

namespace mytsdb::chunk {

class SampleIterator;

class HeadChunk {
 public:
  static constexpr uint16_t kMaxSamples = UINT16_MAX;
  // The last timestamp is kept as an offset from the first: at most this
  // many ms apart (49.7 days; the head cuts chunks at every block boundary).
  static constexpr int64_t kMaxSpanMs = UINT32_MAX;
  // The most a shift() can be: decimal integers are below 2^53 in magnitude.
  static constexpr int kMaxShift = 52;

  HeadChunk() = default;  // empty, decimal, no heap memory
  HeadChunk(HeadChunk&& other) noexcept { *this = std::move(other); }
  HeadChunk& operator=(HeadChunk&& other) noexcept {
    writer_ = std::move(other.writer_);
    min_time_ = std::exchange(other.min_time_, 0);
    max_offset_ = std::exchange(other.max_offset_, 0);
    num_samples_ = std::exchange(other.num_samples_, 0);
    scale_ = std::exchange(other.scale_, 0);
    shift_ = std::exchange(other.shift_, 0);
    return *this;
  }

  // Appends a sample. `state` is the one passed with every earlier append to
  // this chunk (any AppendState for the first). The caller guarantees
  // t > max_time() for every sample but the first, t - min_time() <=
  // kMaxSpanMs and num_samples() < kMaxSamples (checked: aborts).
  void Append(int64_t t, double v, AppendState* state);

  uint16_t num_samples() const { return num_samples_; }
  int64_t min_time() const { return min_time_; }  // only valid if num_samples() > 0
  int64_t max_time() const { return min_time_ + max_offset_; }  // only valid if num_samples() > 0
  // The encoded stream. Invalidated by appends, Compact and destruction.
  std::string_view bytes() const { return writer_.bytes(); }
  bool is_decimal() const { return scale_ != kXor; }
  // Decimal values are stored times 10^scale(), and the integers that gives
  // divided by 2^shift(): the trailing zero bits they all share. Byte
  // counts often come in pages, blocks or sectors (4096, 512, 1024 bytes),
  // and a gauge of pages moves by multiples of 4096, which the deltas of
  // deltas would otherwise spend 12 bits a sample on.
  int scale() const { return is_decimal() ? scale_ : 0; }
  int shift() const { return is_decimal() ? shift_ : 0; }

  // Gives back unused buffer capacity; for a chunk that is full (cut).
  void Compact() { writer_.ShrinkToFit(); }
  // Makes room for `bytes` bytes of stream up front: growing the buffer
  // through the size classes leaves the smaller ones behind, half empty, and
  // a series' chunks tend to be alike, so the head passes the size of the
  // previous one.
  void Reserve(size_t bytes) { writer_.Reserve(bytes); }

  // Calls `f(iterator)` with a DecimalIterator or an XorIterator over the
  // samples present now, and returns what it returns.
  template <class F>
  decltype(auto) VisitIterator(F&& f) const {
    if (is_decimal()) return f(DecimalIterator(bytes(), num_samples_, scale_, shift_, min_time_));
    return f(XorIterator(bytes(), num_samples_));
  }

  // An iterator over the samples present now, for paths where a branch per
  // sample does not matter. The chunk must not change or go while it is used.
  SampleIterator Iterator() const;

 private:
  static constexpr uint8_t kXor = 0xff;  // scale_ of a chunk in the XOR encoding

  // Re-encodes the samples so far at `scale` (>= scale_) and `shift` (which
  // every integer at the new scale must allow); false, with nothing changed,
  // if an integer would reach 2^53.
  bool Reencode(int scale, int shift, AppendState* state);
  // Re-encodes the samples so far in the XOR encoding.
  void MoveToXor(AppendState* state);

  BitWriter writer_;
  int64_t min_time_ = 0;
  uint32_t max_offset_ = 0;  // max_time() - min_time()
  uint16_t num_samples_ = 0;
  uint8_t scale_ = 0;  // kXor: the XOR encoding
  uint8_t shift_ = 0;
};

// Either encoding's iterator behind one interface (see XorIterator).
class SampleIterator {
 public:
  explicit SampleIterator(DecimalIterator it) : it_(std::move(it)) {}
  explicit SampleIterator(XorIterator it) : it_(std::move(it)) {}

  bool Next() {
    return std::visit([](auto& it) { return it.Next(); }, it_);
  }
  bool Seek(int64_t target) {
    return std::visit([target](auto& it) { return it.Seek(target); }, it_);
  }
  int64_t t() const {
    return std::visit([](const auto& it) { return it.t(); }, it_);
  }
  double v() const {
    return std::visit([](const auto& it) { return it.v(); }, it_);
  }
  uint64_t value_bits() const {
    return std::visit([](const auto& it) { return it.value_bits(); }, it_);
  }
  Status status() const {
    return std::visit([](const auto& it) { return it.status(); }, it_);
  }

 private:
  std::variant<DecimalIterator, XorIterator> it_;
};

inline SampleIterator HeadChunk::Iterator() const {
  return VisitIterator([](auto it) { return SampleIterator(std::move(it)); });
}

}  // namespace mytsdb::chunk
