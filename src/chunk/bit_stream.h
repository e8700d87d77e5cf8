// BitWriter / BitReader: MSB-first bit streams over a byte buffer, the
// substrate of the XOR chunk (the role of Prometheus's tsdb/chunkenc/bstream.go).
//
// Bit order: the first bit written is the most significant bit of byte 0.
// Writing the 5 bits 10110 and then the 4 bits 0111 gives
//
//   byte 0                          byte 1
//   +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//   | 1 | 0 | 1 | 1 | 0 | 0 | 1 | 1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
//   +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//    \______ 10110 ____/ \___ 0111 ___/ \_______ padding: zeros ______/
//
// so a stream of n bits takes ceil(n / 8) bytes and the unused low bits of
// the last byte are always zero.
//
// Neither class is thread-safe. BitWriter owns its buffer; BitReader reads a
// range it does not own, which must stay valid and unchanged while it is used.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

namespace mytsdb::chunk {

namespace internal {

inline uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

inline void StoreBigEndian64(uint8_t* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

}  // namespace internal

// Appends bits to a heap buffer it owns. Move-only.
//
// Memory: the buffer grows through the allocator's size classes (128, 160,
// 192, 224, 256, 320, ...: four per doubling, as jemalloc's), so its capacity
// is at most 1.25 x the bytes written once past the first 128 bytes. At most
// 512 MiB can be written (bit counts are 32-bit); more aborts the process.
class BitWriter {
 public:
  BitWriter() = default;
  BitWriter(BitWriter&& other) noexcept
      : buf_(std::move(other.buf_)), num_bits_(other.num_bits_), capacity_(other.capacity_) {
    other.num_bits_ = 0;
    other.capacity_ = 0;
  }
  BitWriter& operator=(BitWriter&& other) noexcept {
    buf_ = std::move(other.buf_);
    num_bits_ = other.num_bits_;
    capacity_ = other.capacity_;
    other.num_bits_ = 0;
    other.capacity_ = 0;
    return *this;
  }
  BitWriter(const BitWriter&) = delete;
  BitWriter& operator=(const BitWriter&) = delete;

  // Writes the low `nbits` bits of `v` (higher bits are ignored), most
  // significant first. 1 <= nbits <= 64.
  void WriteBits(uint64_t v, int nbits) {
    if (nbits > 56) {
      // One 8-byte store covers at most 57 bits at an unaligned position.
      WriteBits(v >> 32, nbits - 32);
      nbits = 32;
    }
    const uint32_t byte = num_bits_ >> 3;
    const int used = static_cast<int>(num_bits_ & 7);  // bits already in buf_[byte]
    if (byte + 8 > capacity_) {
      WriteBitsSlow(v, nbits);
      return;
    }
    // Bytes at and after buf_[byte] hold zeros past the written bits.
    uint64_t word = static_cast<uint64_t>(buf_[byte]) << 56;
    word |= (v << (64 - nbits)) >> used;
    internal::StoreBigEndian64(&buf_[byte], word);
    num_bits_ += static_cast<uint32_t>(nbits);
  }

  void WriteBit(bool bit) { WriteBits(bit ? 1 : 0, 1); }

  // The written bytes; the last one is zero-padded.
  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(buf_.get()), (num_bits_ + 7) / 8};
  }
  uint64_t num_bits() const { return num_bits_; }
  // Bytes allocated for the buffer.
  size_t capacity() const { return capacity_; }

  // Makes room for at least `bytes` bytes in total.
  void Reserve(size_t bytes) {
    if (bytes > capacity_) Reallocate(SizeClassAtLeast(bytes));
  }

  // Drops unused capacity beyond the size class of the written bytes.
  void ShrinkToFit() {
    size_t want = num_bits_ == 0 ? 0 : SizeClassAtLeast((num_bits_ + 7) / 8);
    if (want < capacity_) Reallocate(want);
  }

  // Replaces the contents with the first `num_bits` bits of `bytes`; bits
  // after them in the last byte are cleared. Requires bytes.size() * 8 >=
  // num_bits.
  void Assign(std::string_view bytes, uint64_t num_bits) {
    size_t nbytes = (num_bits + 7) / 8;
    buf_.reset();
    capacity_ = 0;
    num_bits_ = 0;
    Reserve(nbytes);
    if (nbytes > 0) {
      std::memcpy(buf_.get(), bytes.data(), nbytes);
      if (num_bits % 8 != 0) buf_[nbytes - 1] &= static_cast<uint8_t>(0xff00 >> (num_bits % 8));
    }
    num_bits_ = static_cast<uint32_t>(num_bits);
  }

  // The size class (see the class comment) of a buffer of at least `n` bytes.
  static size_t SizeClassAtLeast(size_t n) {
    if (n <= 128) return (n + 15) & ~size_t{15};
    size_t step = std::bit_floor(n - 1) / 4;
    return (n + step - 1) / step * step;
  }

 private:
  static constexpr size_t kMaxBytes = size_t{1} << 29;

  // WriteBits near the end of the buffer: grows it if needed, then touches
  // only the bytes that the new bits occupy.
  void WriteBitsSlow(uint64_t v, int nbits) {
    const uint32_t byte = num_bits_ >> 3;
    const int used = static_cast<int>(num_bits_ & 7);
    const size_t end = (static_cast<size_t>(num_bits_) + nbits + 7) / 8;
    if (end > capacity_) {
      // The next size class, so that n appends cost O(n) copying.
      Reallocate(SizeClassAtLeast(std::max<size_t>(end, capacity_ + 1)));
    }
    uint64_t word = static_cast<uint64_t>(buf_[byte]) << 56;
    word |= (v << (64 - nbits)) >> used;
    for (size_t i = byte; i < end; ++i) {
      buf_[i] = static_cast<uint8_t>(word >> 56);
      word <<= 8;
    }
    num_bits_ += static_cast<uint32_t>(nbits);
  }

  void Reallocate(size_t capacity) {
    if (capacity >= kMaxBytes) {
      std::fputs("BitWriter: more than 512 MiB written\n", stderr);
      std::abort();
    }
    std::unique_ptr<uint8_t[]> fresh;
    if (capacity > 0) {
      fresh.reset(new uint8_t[capacity]());  // zeroed: WriteBits relies on it
      if (num_bits_ > 0) std::memcpy(fresh.get(), buf_.get(), (num_bits_ + 7) / 8);
    }
    buf_ = std::move(fresh);
    capacity_ = static_cast<uint32_t>(capacity);
  }

  // Invariant: bytes of buf_ after the written bits are zero.
  std::unique_ptr<uint8_t[]> buf_;
  uint32_t num_bits_ = 0;
  uint32_t capacity_ = 0;
};

// Reads bits from a byte range. Reading past the end yields zero bits and
// moves position() past limit(); callers check overrun() once per record
// instead of on every read.
class BitReader {
 public:
  BitReader() = default;
  explicit BitReader(std::string_view bytes)
      : data_(reinterpret_cast<const uint8_t*>(bytes.data())), size_(bytes.size()) {}

  // The 64 bits starting at position(), zeros past the end; at least the top
  // 57 are meaningful. Does not advance.
  uint64_t Peek() const {
    const uint64_t byte = pos_ >> 3;
    uint64_t word;
    if (byte + 8 <= size_) {
      word = internal::LoadBigEndian64(data_ + byte);
    } else {
      word = 0;
      for (uint64_t i = byte; i < size_; ++i) word |= uint64_t{data_[i]} << (56 - 8 * (i - byte));
    }
    return word << (pos_ & 7);
  }

  void Skip(int nbits) { pos_ += static_cast<uint64_t>(nbits); }

  bool ReadBit() {
    bool bit = Peek() >> 63;
    ++pos_;
    return bit;
  }

  // Reads `nbits` bits (1 <= nbits <= 64) as the low bits of the result.
  // The usual case (at most 56 bits: one Peek) is inlined into the
  // decoders' loops; called out of line it was 8% of a head query's CPU.
  [[gnu::always_inline]] uint64_t ReadBits(int nbits) {
    if (nbits > 56) [[unlikely]] return ReadLongBits(nbits);
    uint64_t v = Peek() >> (64 - nbits);
    pos_ += static_cast<uint64_t>(nbits);
    return v;
  }

  // The unread whole bytes; only meaningful at a byte-aligned position.
  std::string_view RemainingBytes() const {
    uint64_t byte = pos_ >> 3;
    if (byte >= size_) return {};
    return {reinterpret_cast<const char*>(data_ + byte), static_cast<size_t>(size_ - byte)};
  }
  void SkipBytes(size_t n) { pos_ += 8 * static_cast<uint64_t>(n); }

  uint64_t position() const { return pos_; }
  uint64_t limit() const { return size_ * 8; }
  // Whether more bits were consumed than the range holds.
  bool overrun() const { return pos_ > size_ * 8; }

 private:
  // 57 to 64 bits, in two reads.
  [[gnu::noinline]] uint64_t ReadLongBits(int nbits) {
    const uint64_t high = Peek() >> (64 - (nbits - 32));
    pos_ += static_cast<uint64_t>(nbits - 32);
    const uint64_t low = Peek() >> 32;
    pos_ += 32;
    return (high << 32) | low;
  }

  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;  // bytes
  uint64_t pos_ = 0;   // bits consumed
};

}  // namespace mytsdb::chunk
