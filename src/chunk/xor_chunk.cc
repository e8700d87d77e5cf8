#include "chunk/xor_chunk.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

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
  leading_ = std::exchange(other.leading_, kNoWindow);
  trailing_ = std::exchange(other.trailing_, 0);
  min_time_ = std::exchange(other.min_time_, 0);
  last_t_ = std::exchange(other.last_t_, 0);
  last_delta_ = std::exchange(other.last_delta_, 0);
  last_value_bits_ = std::exchange(other.last_value_bits_, 0);
  return *this;
}

void XorChunk::AppendVarint(uint64_t v) {
  // Only samples 0 and 1 use varints; they start on a byte boundary.
  while (v >= 0x80) {
    writer_.WriteBits((v & 0x7f) | 0x80, 8);
    v >>= 7;
  }
  writer_.WriteBits(v, 8);
}

void XorChunk::Append(int64_t t, double v) {
  if (num_samples_ == kMaxSamples) {
    std::fputs("XorChunk::Append: chunk already holds 65535 samples\n", stderr);
    std::abort();
  }
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  if (num_samples_ == 0) {
    writer_.Reserve(kInitialCapacity);
    AppendVarint(coding::ZigZagEncode(t));
    writer_.WriteBits(bits, 64);
    min_time_ = t;
  } else {
    // Modulo 2^64, as Prometheus: any increasing pair of int64 has a delta in
    // [1, 2^64) and the decoder adds it back with the same wrap-around.
    const uint64_t delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(last_t_);
    if (num_samples_ == 1) {
      AppendVarint(delta);
    } else {
      const int64_t dod = static_cast<int64_t>(delta - last_delta_);
      const uint64_t u = static_cast<uint64_t>(dod);
      if (dod == 0) {
        writer_.WriteBits(0, 1);
      } else if (dod >= -8191 && dod <= 8192) {
        writer_.WriteBits((uint64_t{0b10} << 14) | (u & 0x3fff), 2 + 14);
      } else if (dod >= -65535 && dod <= 65536) {
        writer_.WriteBits((uint64_t{0b110} << 17) | (u & 0x1ffff), 3 + 17);
      } else if (dod >= -524287 && dod <= 524288) {
        writer_.WriteBits((uint64_t{0b1110} << 20) | (u & 0xfffff), 4 + 20);
      } else {
        writer_.WriteBits(0b1111, 4);
        writer_.WriteBits(u, 64);
      }
    }
    last_delta_ = delta;
    AppendValue(bits);
  }
  last_t_ = t;
  last_value_bits_ = bits;
  ++num_samples_;
}

void XorChunk::AppendValue(uint64_t bits) {
  const uint64_t x = bits ^ last_value_bits_;
  if (x == 0) {
    writer_.WriteBits(0, 1);
    return;
  }
  // The leading-zero field has 5 bits.
  const int leading = std::min(std::countl_zero(x), 31);
  const int trailing = std::countr_zero(x);
  if (leading_ != kNoWindow && leading >= leading_ && trailing >= trailing_) {
    // The meaningful bits fit the previous window: '10' + the window.
    const int width = 64 - leading_ - trailing_;
    const uint64_t payload = x >> trailing_;
    if (2 + width <= 56) {
      writer_.WriteBits((uint64_t{0b10} << width) | payload, 2 + width);
    } else {
      writer_.WriteBits(0b10, 2);
      writer_.WriteBits(payload, width);
    }
    return;
  }
  leading_ = static_cast<uint8_t>(leading);
  trailing_ = static_cast<uint8_t>(trailing);
  const int width = 64 - leading - trailing;  // 1..64; 64 is written as 0
  const uint64_t header = (uint64_t{0b11} << 11) | (static_cast<uint64_t>(leading) << 6) |
                          (static_cast<uint64_t>(width) & 63);
  const uint64_t payload = x >> trailing;
  if (13 + width <= 56) {
    writer_.WriteBits((header << width) | payload, 13 + width);
  } else {
    writer_.WriteBits(header, 13);
    writer_.WriteBits(payload, width);
  }
}

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
  chunk.last_delta_ = it.delta_;
  chunk.last_value_bits_ = it.value_bits_;
  chunk.leading_ = it.has_window_ ? it.leading_ : kNoWindow;
  chunk.trailing_ = it.has_window_ ? it.trailing_ : 0;
  return chunk;
}

bool XorIterator::Fail(const char* what) {
  status_ = Status::Corruption(std::string("XOR chunk: ") + what + " in sample " +
                               std::to_string(read_ + 1) + " of " + std::to_string(total_));
  valid_ = false;
  return false;
}

bool XorIterator::ReadFirst() {
  std::string_view rest = reader_.RemainingBytes();
  const size_t before = rest.size();
  uint64_t zigzag;
  if (!coding::GetVarint64(&rest, &zigzag)) return Fail("bad or truncated first timestamp");
  reader_.SkipBytes(before - rest.size());
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
    std::string_view rest = reader_.RemainingBytes();
    const size_t before = rest.size();
    if (!coding::GetVarint64(&rest, &delta)) return Fail("bad or truncated timestamp delta");
    reader_.SkipBytes(before - rest.size());
  } else {
    const uint64_t word = reader_.Peek();
    if ((word >> 63) == 0) {
      reader_.Skip(1);
      delta = delta_;
    } else {
      const int ones = std::countl_one(word);
      uint64_t dod;
      if (ones >= 4) {
        reader_.Skip(4);
        dod = reader_.ReadBits(64);
      } else {
        static constexpr int kWidth[] = {0, 14, 17, 20};
        const int width = kWidth[ones];
        dod = (word << (ones + 1)) >> (64 - width);
        // Prometheus's ranges are -(2^(w-1) - 1) .. 2^(w-1).
        if (dod > (uint64_t{1} << (width - 1))) dod -= uint64_t{1} << width;
        reader_.Skip(ones + 1 + width);
      }
      delta = delta_ + dod;
    }
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
