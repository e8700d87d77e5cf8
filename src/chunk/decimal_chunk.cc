#include "chunk/decimal_chunk.h"

#include <bit>
#include <string>

#include "chunk/append_state.h"
#include "chunk/timestamp_code.h"
#include "common/coding.h"

namespace mytsdb::chunk {

namespace {

// The integers' delta-of-delta, zigzag-mapped (layout in the header).
void WriteIntegerDod(BitWriter* writer, uint64_t z) {
  if (z == 0) {
    writer->WriteBits(0, 1);
    return;
  }
  const int length = 64 - std::countl_zero(z);
  if (length <= 4) {
    writer->WriteBits((uint64_t{0b10} << 4) | z, 2 + 4);
  } else if (length <= 8) {
    writer->WriteBits((uint64_t{0b110} << 8) | z, 3 + 8);
  } else if (length <= 12) {
    writer->WriteBits((uint64_t{0b1110} << 12) | z, 4 + 12);
  } else if (length <= 20) {
    writer->WriteBits((uint64_t{0b11110} << 20) | z, 5 + 20);
  } else if (length <= 32) {
    writer->WriteBits((uint64_t{0b111110} << 32) | z, 6 + 32);
  } else {
    writer->WriteBits(0b111111, 6);
    writer->WriteBits(z, 64);
  }
}

[[gnu::always_inline]] inline uint64_t ReadIntegerDod(BitReader* reader) {
  const uint64_t word = reader->Peek();
  if ((word >> 63) == 0) {
    reader->Skip(1);
    return 0;
  }
  const int ones = std::countl_one(word);
  if (ones >= 6) {
    reader->Skip(6);
    return reader->ReadBits(64);
  }
  static constexpr int kWidth[] = {0, 4, 8, 12, 20, 32};
  const int width = kWidth[ones];
  reader->Skip(ones + 1 + width);
  return (word << (ones + 1)) >> (64 - width);
}

}  // namespace

namespace internal {

void AppendDecimal(BitWriter* writer, uint16_t num_samples, int64_t last_t, int64_t t,
                   int64_t integer, AppendState* state) {
  if (num_samples == 0) {
    WriteVarint(writer, coding::ZigZagEncode(integer));  // t0 is the chunk's min_time
    state->last_integer_delta = 0;
  } else {
    // Modulo 2^64, as in the XOR encoding.
    const uint64_t delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(last_t);
    if (num_samples == 1) {
      WriteVarint(writer, delta);
    } else {
      WriteTimestampDod(writer, static_cast<int64_t>(delta - state->last_delta));
    }
    state->last_delta = delta;
    // Integers are below 2^53 in magnitude: their deltas and deltas of
    // deltas fit; unsigned arithmetic only keeps the compiler from assuming.
    const uint64_t integer_delta = static_cast<uint64_t>(integer) - state->last_value;
    const uint64_t dod = integer_delta - static_cast<uint64_t>(state->last_integer_delta);
    WriteIntegerDod(writer, coding::ZigZagEncode(static_cast<int64_t>(dod)));
    state->last_integer_delta = static_cast<int64_t>(integer_delta);
  }
  state->last_value = static_cast<uint64_t>(integer);
}

}  // namespace internal

bool DecimalIterator::Fail(const char* what) {
  status_ = Status::Corruption(std::string("decimal chunk: ") + what + " in sample " +
                               std::to_string(read_ + 1) + " of " + std::to_string(total_));
  valid_ = false;
  return false;
}

bool DecimalIterator::ReadFirst() {
  uint64_t integer;
  if (!internal::ReadVarint(&reader_, &integer)) return Fail("bad or truncated first value");
  integer_ = coding::ZigZagDecode(integer);
  ++read_;
  return valid_ = true;
}

bool DecimalIterator::Next() {
  if (read_ >= total_ || !status_.ok()) return valid_ = false;
  if (read_ == 0) return ReadFirst();

  uint64_t delta;
  if (read_ == 1) {
    if (!internal::ReadVarint(&reader_, &delta)) return Fail("bad or truncated timestamp delta");
  } else {
    delta = delta_ + internal::ReadTimestampDod(&reader_);
  }
  const int64_t t = static_cast<int64_t>(static_cast<uint64_t>(t_) + delta);
  if (t <= t_) return Fail("timestamp not after the previous one");
  const uint64_t dod = static_cast<uint64_t>(coding::ZigZagDecode(ReadIntegerDod(&reader_)));
  if (reader_.overrun()) return Fail("truncated sample");
  integer_delta_ = static_cast<int64_t>(static_cast<uint64_t>(integer_delta_) + dod);
  integer_ = static_cast<int64_t>(static_cast<uint64_t>(integer_) +
                                  static_cast<uint64_t>(integer_delta_));
  t_ = t;
  delta_ = delta;
  ++read_;
  return valid_ = true;
}

bool DecimalIterator::Seek(int64_t target) {
  if (valid_ && t_ >= target) return true;
  while (Next()) {
    if (t_ >= target) return true;
  }
  return false;
}

}  // namespace mytsdb::chunk
