#include "chunk/xor_chunk.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "chunk/timestamp_code.h"
#include "common/coding.h"

namespace mytsdb::chunk {

namespace {

// First buffer: ~90 samples of a regular scrape (Prometheus also starts at 128).
constexpr size_t kInitialCapacity = 128;

}  // namespace

XorChunk::XorChunk(XorChunk&& other) noexcept { *this = std::move(other); }

XorChunk& XorChunk::operator=(XorChunk&& other) noexcept {
  writer_ = std::move(other.writer_);
  num_samples_ = std::exchange(other.num_samples_, 0);
  min_time_ = std::exchange(other.min_time_, 0);
  last_t_ = std::exchange(other.last_t_, 0);
  state_ = std::exchange(other.state_, AppendState{});
  return *this;
}

void XorChunk::Append(int64_t t, double v) {
  if (num_samples_ == kMaxSamples) {
    std::fputs("XorChunk::Append: chunk already holds 65535 samples\n", stderr);
    std::abort();
  }
  if (num_samples_ == 0) {
    writer_.Reserve(kInitialCapacity);
    min_time_ = t;
  }
  internal::AppendXor(&writer_, num_samples_, last_t_, t, std::bit_cast<uint64_t>(v), &state_);
  last_t_ = t;
  ++num_samples_;
}

namespace internal {

namespace {

void AppendXorValue(BitWriter* writer, uint64_t bits, AppendState* state) {
  const uint64_t x = bits ^ state->last_value;
  if (x == 0) {
    writer->WriteBits(0, 1);
    return;
  }
  // The leading-zero field has 5 bits.
  const int leading = std::min(std::countl_zero(x), 31);
  const int trailing = std::countr_zero(x);
  if (state->leading != AppendState::kNoWindow && leading >= state->leading &&
      trailing >= state->trailing) {
    // The meaningful bits fit the previous window: '10' + the window.
    const int width = 64 - state->leading - state->trailing;
    const uint64_t payload = x >> state->trailing;
    if (2 + width <= 56) {
      writer->WriteBits((uint64_t{0b10} << width) | payload, 2 + width);
    } else {
      writer->WriteBits(0b10, 2);
      writer->WriteBits(payload, width);
    }
    return;
  }
  state->leading = static_cast<uint8_t>(leading);
  state->trailing = static_cast<uint8_t>(trailing);
  const int width = 64 - leading - trailing;  // 1..64; 64 is written as 0
  const uint64_t header = (uint64_t{0b11} << 11) | (static_cast<uint64_t>(leading) << 6) |
                          (static_cast<uint64_t>(width) & 63);
  const uint64_t payload = x >> trailing;
  if (13 + width <= 56) {
    writer->WriteBits((header << width) | payload, 13 + width);
  } else {
    writer->WriteBits(header, 13);
    writer->WriteBits(payload, width);
  }
}

}  // namespace

void AppendXor(BitWriter* writer, uint16_t num_samples, int64_t last_t, int64_t t, uint64_t bits,
               AppendState* state) {
  if (num_samples == 0) {
    WriteVarint(writer, coding::ZigZagEncode(t));
    writer->WriteBits(bits, 64);
    state->leading = AppendState::kNoWindow;
    state->trailing = 0;
  } else {
    // Modulo 2^64, as Prometheus: any increasing pair of int64 has a delta in
    // [1, 2^64) and the decoder adds it back with the same wrap-around.
    const uint64_t delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(last_t);
    if (num_samples == 1) {
      WriteVarint(writer, delta);
    } else {
      WriteTimestampDod(writer, static_cast<int64_t>(delta - state->last_delta));
    }
    state->last_delta = delta;
    AppendXorValue(writer, bits, state);
  }
  state->last_value = bits;
}

}  // namespace internal

XorIterator XorChunk::Iterator() const { return XorIterator(bytes(), num_samples_); }

Result<XorChunk> XorChunk::FromBytes(std::string_view bytes, uint16_t num_samples) {
  XorChunk chunk;
  if (num_samples == 0) {
    if (!bytes.empty()) {
      return Status::Corruption("XOR chunk: " + std::to_string(bytes.size()) +
                                " bytes for 0 samples");
    }
    return chunk;
  }
  XorIterator it(bytes, num_samples);
  if (!it.Next()) return it.status();
  chunk.min_time_ = it.t();
  while (it.Next()) {
  }
  RETURN_NOT_OK(it.status());
  // Next() only stops early with an error, so all samples were read.
  const uint64_t end = it.reader_.position();
  const uint64_t padding = it.reader_.limit() - end;
  if (padding > 8) {
    return Status::Corruption("XOR chunk: " + std::to_string((padding - 1) / 8) +
                              " bytes after the last of " + std::to_string(num_samples) +
                              " samples");
  }
  if (padding > 0 && (it.reader_.Peek() >> (64 - padding)) != 0) {
    return Status::Corruption("XOR chunk: non-zero bits after the last sample");
  }
  chunk.writer_.Assign(bytes, end);
  chunk.num_samples_ = num_samples;
  chunk.last_t_ = it.t_;
  chunk.state_.last_delta = it.delta_;
  chunk.state_.last_value = it.value_bits_;
  chunk.state_.leading = it.has_window_ ? it.leading_ : AppendState::kNoWindow;
  chunk.state_.trailing = it.has_window_ ? it.trailing_ : 0;
  return chunk;
}

bool XorIterator::Fail(const char* what) {
  status_ = Status::Corruption(std::string("XOR chunk: ") + what + " in sample " +
                               std::to_string(read_ + 1) + " of " + std::to_string(total_));
  valid_ = false;
  return false;
}

bool XorIterator::ReadFirst() {
  uint64_t zigzag;
  if (!internal::ReadVarint(&reader_, &zigzag)) return Fail("bad or truncated first timestamp");
  const uint64_t bits = reader_.ReadBits(64);
  if (reader_.overrun()) return Fail("truncated first value");
  t_ = coding::ZigZagDecode(zigzag);
  value_bits_ = bits;
  ++read_;
  return valid_ = true;
}

bool XorIterator::Next() {
  if (read_ >= total_ || !status_.ok()) return valid_ = false;
  if (read_ == 0) return ReadFirst();

  uint64_t delta;
  if (read_ == 1) {
    // Byte-aligned: the first sample took whole bytes.
    if (!internal::ReadVarint(&reader_, &delta)) return Fail("bad or truncated timestamp delta");
  } else {
    delta = delta_ + internal::ReadTimestampDod(&reader_);
  }
  if (reader_.overrun()) return Fail("truncated timestamp");
  const int64_t t = static_cast<int64_t>(static_cast<uint64_t>(t_) + delta);
  if (t <= t_) return Fail("timestamp not after the previous one");

  const uint64_t word = reader_.Peek();
  if ((word >> 63) == 0) {
    reader_.Skip(1);
  } else {
    if ((word >> 62) & 1) {
      const int leading = static_cast<int>((word >> 57) & 31);
      int width = static_cast<int>((word >> 51) & 63);
      if (width == 0) width = 64;
      if (leading + width > 64) return Fail("invalid XOR window");
      leading_ = static_cast<uint8_t>(leading);
      trailing_ = static_cast<uint8_t>(64 - leading - width);
      has_window_ = true;
      reader_.Skip(13);
    } else {
      reader_.Skip(2);
    }
    value_bits_ ^= reader_.ReadBits(64 - leading_ - trailing_) << trailing_;
  }
  if (reader_.overrun()) return Fail("truncated value");
  t_ = t;
  delta_ = delta;
  ++read_;
  return valid_ = true;
}

bool XorIterator::Seek(int64_t target) {
  if (valid_ && t_ >= target) return true;
  while (Next()) {
    if (t_ >= target) return true;
  }
  return false;
}

}  // namespace mytsdb::chunk
