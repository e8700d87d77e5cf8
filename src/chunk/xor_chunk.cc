#include "chunk/xor_chunk.h"

#include <bit>

namespace mytsdb::chunk {

namespace {

constexpr size_t kInitialCapacity = 128;  // ~100 samples of a regular scrape

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

void WriteVarint(BitWriter* w, uint64_t v) {
  while (v >= 0x80) {
    w->WriteByte(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  w->WriteByte(static_cast<uint8_t>(v));
}

// Whether `v` fits in a two's complement field of `nbits`.
bool FitsSigned(int64_t v, int nbits) {
  int64_t lo = -(int64_t{1} << (nbits - 1));
  int64_t hi = (int64_t{1} << (nbits - 1)) - 1;
  return v >= lo && v <= hi;
}

}  // namespace

XorChunk::XorChunk() {
  writer_.Reserve(kInitialCapacity);
  writer_.WriteBits(0, 16);  // sample count, filled in by SetCount
}

void XorChunk::SetCount(uint16_t n) {
  std::string& b = writer_.bytes();
  b[0] = static_cast<char>(n >> 8);
  b[1] = static_cast<char>(n & 0xff);
}

void XorChunk::Append(int64_t t, double v) {
  uint64_t bits = std::bit_cast<uint64_t>(v);
  if (num_samples_ == 0) {
    WriteVarint(&writer_, ZigZag(t));
    writer_.WriteBits(bits, 64);
    min_time_ = t;
  } else {
    int64_t delta = t - last_t_;
    if (num_samples_ == 1) {
      WriteVarint(&writer_, static_cast<uint64_t>(delta));
    } else {
      int64_t dod = delta - last_delta_;
      if (dod == 0) {
        writer_.WriteBit(false);
      } else if (FitsSigned(dod, 14)) {
        writer_.WriteBits(0b10, 2);
        writer_.WriteBits(static_cast<uint64_t>(dod), 14);
      } else if (FitsSigned(dod, 17)) {
        writer_.WriteBits(0b110, 3);
        writer_.WriteBits(static_cast<uint64_t>(dod), 17);
      } else if (FitsSigned(dod, 20)) {
        writer_.WriteBits(0b1110, 4);
        writer_.WriteBits(static_cast<uint64_t>(dod), 20);
      } else {
        writer_.WriteBits(0b1111, 4);
        writer_.WriteBits(static_cast<uint64_t>(dod), 64);
      }
    }
    last_delta_ = delta;

    uint64_t x = bits ^ last_value_bits_;
    if (x == 0) {
      writer_.WriteBit(false);
    } else {
      int leading = std::countl_zero(x);
      int trailing = std::countr_zero(x);
      if (leading > 31) leading = 31;  // the field has 5 bits
      if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
        // The meaningful bits fit in the previous window.
        writer_.WriteBits(0b10, 2);
        int sig = 64 - leading_ - trailing_;
        writer_.WriteBits(x >> trailing_, sig);
      } else {
        leading_ = static_cast<uint8_t>(leading);
        trailing_ = static_cast<uint8_t>(trailing);
        int sig = 64 - leading - trailing;
        writer_.WriteBits(0b11, 2);
        writer_.WriteBits(static_cast<uint64_t>(leading), 5);
        writer_.WriteBits(static_cast<uint64_t>(sig & 63), 6);  // 64 is stored as 0
        writer_.WriteBits(x >> trailing, sig);
      }
    }
  }
  last_t_ = t;
  last_value_bits_ = bits;
  ++num_samples_;
  SetCount(num_samples_);
}

Result<XorChunk> XorChunk::FromBytes(std::string_view bytes) {
  XorIterator it(bytes);
  XorChunk chunk;
  while (it.Next()) chunk.Append(it.t(), it.v());
  RETURN_NOT_OK(it.status());
  if (chunk.bytes() != bytes) {
    // The bytes decode, but not to what encoding the samples gives: trailing
    // garbage or a non-canonical stream.
    return Status::Corruption("XOR chunk: bytes do not re-encode to the same stream");
  }
  return chunk;
}

XorIterator XorChunk::Iterator() const { return XorIterator(bytes()); }

XorIterator::XorIterator(std::string_view bytes) : reader_(bytes, uint64_t{bytes.size()} * 8) {
  if (bytes.size() < 2) {
    status_ = Status::Corruption("XOR chunk: shorter than its header");
    total_ = 0;
    return;
  }
  total_ = static_cast<uint16_t>(reader_.ReadBits(16));
}

bool XorIterator::Fail(const char* what) {
  status_ = Status::Corruption(std::string("XOR chunk: ") + what + " at sample " +
                               std::to_string(read_) + " of " + std::to_string(total_));
  read_ = total_;
  return false;
}

bool XorIterator::ReadVarint(uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint64_t byte = reader_.ReadBits(8);
    if (reader_.error()) return false;
    v |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

double XorIterator::v() const { return std::bit_cast<double>(value_bits_); }

bool XorIterator::Next() {
  if (!status_.ok() || read_ >= total_) return false;
  if (read_ == 0) {
    uint64_t zz;
    if (!ReadVarint(&zz)) return Fail("truncated first timestamp");
    t_ = UnZigZag(zz);
    value_bits_ = reader_.ReadBits(64);
    if (reader_.error()) return Fail("truncated first value");
    ++read_;
    return true;
  }
  if (read_ == 1) {
    uint64_t delta;
    if (!ReadVarint(&delta)) return Fail("truncated timestamp delta");
    delta_ = static_cast<int64_t>(delta);
  } else {
    int prefix = 0;
    while (prefix < 4 && reader_.ReadBit()) ++prefix;
    if (reader_.error()) return Fail("truncated timestamp");
    int64_t dod = 0;
    if (prefix > 0) {
      static constexpr int kWidths[] = {0, 14, 17, 20, 64};
      int nbits = kWidths[prefix];
      uint64_t raw = reader_.ReadBits(nbits);
      if (reader_.error()) return Fail("truncated timestamp");
      if (nbits < 64 && (raw >> (nbits - 1)) & 1) raw |= ~uint64_t{0} << nbits;  // sign-extend
      dod = static_cast<int64_t>(raw);
    }
    delta_ += dod;
  }
  if (delta_ <= 0) return Fail("timestamps not increasing");
  t_ += delta_;

  if (reader_.ReadBit()) {
    if (reader_.ReadBit()) {
      leading_ = static_cast<uint8_t>(reader_.ReadBits(5));
      int sig = static_cast<int>(reader_.ReadBits(6));
      if (sig == 0) sig = 64;
      if (leading_ + sig > 64) return Fail("invalid XOR window");
      trailing_ = static_cast<uint8_t>(64 - leading_ - sig);
    }
    int sig = 64 - leading_ - trailing_;
    uint64_t bits = reader_.ReadBits(sig);
    value_bits_ ^= bits << trailing_;
  }
  if (reader_.error()) return Fail("truncated value");
  ++read_;
  return true;
}

bool XorIterator::Seek(int64_t target) {
  if (read_ > 0 && status_.ok() && t_ >= target) return true;
  while (Next()) {
    if (t_ >= target) return true;
  }
  return false;
}

}  // namespace mytsdb::chunk
