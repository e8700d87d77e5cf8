// BitWriter / BitReader: MSB-first bit streams over a byte buffer, the
// substrate of the XOR chunk (as Prometheus's tsdb/chunkenc/bstream.go).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mytsdb::chunk {

// Appends bits to a std::string it owns. Bits fill each byte from the most
// significant end; the last byte may be partly used.
class BitWriter {
 public:
  void WriteBit(bool bit) {
    if (free_bits_ == 0) {
      bytes_.push_back(0);
      free_bits_ = 8;
    }
    --free_bits_;
    if (bit) bytes_.back() = static_cast<char>(bytes_.back() | (1u << free_bits_));
  }

  // Writes the low `nbits` bits of `v`, most significant first.
  void WriteBits(uint64_t v, int nbits) {
    while (nbits > 0) {
      if (free_bits_ == 0) {
        bytes_.push_back(0);
        free_bits_ = 8;
      }
      int take = nbits < free_bits_ ? nbits : free_bits_;
      uint64_t chunk = (v >> (nbits - take)) & ((1ull << take) - 1);
      free_bits_ -= take;
      bytes_.back() = static_cast<char>(static_cast<uint8_t>(bytes_.back()) | (chunk << free_bits_));
      nbits -= take;
    }
  }

  void WriteByte(uint8_t b) { WriteBits(b, 8); }

  std::string& bytes() { return bytes_; }
  const std::string& bytes() const { return bytes_; }
  int free_bits() const { return free_bits_; }
  void Reserve(size_t n) { bytes_.reserve(n); }
  // Restores a writer positioned after `num_bits` bits of `bytes`.
  void Reset(std::string bytes, int free_bits) {
    bytes_ = std::move(bytes);
    free_bits_ = free_bits;
  }

 private:
  std::string bytes_;
  int free_bits_ = 0;  // unused low bits of the last byte
};

// Reads bits from a byte range it does not own; the range must outlive it.
// Reading past `limit_bits` sets the error flag and yields zeros.
class BitReader {
 public:
  BitReader() = default;
  BitReader(std::string_view bytes, uint64_t limit_bits)
      : data_(reinterpret_cast<const uint8_t*>(bytes.data())), limit_bits_(limit_bits) {}

  bool ReadBit() {
    if (pos_ >= limit_bits_) {
      error_ = true;
      return false;
    }
    bool bit = (data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1;
    ++pos_;
    return bit;
  }

  uint64_t ReadBits(int nbits) {
    if (pos_ + nbits > limit_bits_) {
      error_ = true;
      pos_ = limit_bits_;
      return 0;
    }
    uint64_t v = 0;
    while (nbits > 0) {
      int bit_in_byte = pos_ & 7;
      int avail = 8 - bit_in_byte;
      int take = nbits < avail ? nbits : avail;
      uint8_t byte = data_[pos_ >> 3];
      uint64_t bits = (byte >> (avail - take)) & ((1u << take) - 1);
      v = (v << take) | bits;
      pos_ += take;
      nbits -= take;
    }
    return v;
  }

  bool error() const { return error_; }
  uint64_t position() const { return pos_; }

 private:
  const uint8_t* data_ = nullptr;
  uint64_t limit_bits_ = 0;
  uint64_t pos_ = 0;
  bool error_ = false;
};

}  // namespace mytsdb::chunk
