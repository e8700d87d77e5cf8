// Byte encodings shared by the on-disk formats (LevelDB's util/coding.h):
//
//   fixed32 / fixed64   4 / 8 bytes, little-endian
//   varint32 / varint64 unsigned LEB128: 7 bits a byte, low groups first, high
//                       bit set on every byte but the last; at most 5 / 10 bytes
//   varsint64           a signed integer zigzag-mapped (0,-1,1,-2.. -> 0,1,2,3..)
//                       and written as a varint64, so small magnitudes stay short
//   length-prefixed     varint64 length, then that many bytes
//
// Encoders append to a std::string. Decoders consume from the front of a
// `std::string_view* input` and return false on truncation, on a varint longer
// than its type allows, or on a value that overflows it; they never read past
// the end of the view. On false, *input and the output are unspecified.
//
// Header-only; every function is pure and thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace mytsdb::coding {

inline constexpr int kMaxVarint32Length = 5;
inline constexpr int kMaxVarint64Length = 10;

// --- fixed width -----------------------------------------------------------

inline void EncodeFixed32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}

inline void EncodeFixed64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}

// Compilers turn these loops into single loads on little-endian machines.
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

inline void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  EncodeFixed32(buf, v);
  dst->append(buf, 4);
}

inline void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  EncodeFixed64(buf, v);
  dst->append(buf, 8);
}

inline bool GetFixed32(std::string_view* input, uint32_t* v) {
  if (input->size() < 4) return false;
  *v = DecodeFixed32(input->data());
  input->remove_prefix(4);
  return true;
}

inline bool GetFixed64(std::string_view* input, uint64_t* v) {
  if (input->size() < 8) return false;
  *v = DecodeFixed64(input->data());
  input->remove_prefix(8);
  return true;
}

// --- varints ---------------------------------------------------------------

// Bytes PutVarint64(v) writes: 1..10.
inline int VarintLength(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes v at dst, which has room for VarintLength(v) bytes; returns the
// byte after it.
inline char* EncodeVarint64(char* dst, uint64_t v) {
  while (v >= 0x80) {
    *dst++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *dst++ = static_cast<char>(v);
  return dst;
}

inline void PutVarint64(std::string* dst, uint64_t v) {
  char buf[kMaxVarint64Length];
  dst->append(buf, static_cast<size_t>(EncodeVarint64(buf, v) - buf));
}

inline void PutVarint32(std::string* dst, uint32_t v) { PutVarint64(dst, v); }

inline bool GetVarint64(std::string_view* input, uint64_t* v) {
  uint64_t result = 0;
  const size_t limit = input->size() < kMaxVarint64Length ? input->size() : kMaxVarint64Length;
  for (size_t i = 0; i < limit; ++i) {
    uint64_t byte = static_cast<uint8_t>((*input)[i]);
    // The tenth byte holds bit 63 only.
    if (i == kMaxVarint64Length - 1 && byte > 1) return false;
    result |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *v = result;
      input->remove_prefix(i + 1);
      return true;
    }
  }
  return false;  // truncated, or more than 10 bytes
}

inline bool GetVarint32(std::string_view* input, uint32_t* v) {
  uint32_t result = 0;
  const size_t limit = input->size() < kMaxVarint32Length ? input->size() : kMaxVarint32Length;
  for (size_t i = 0; i < limit; ++i) {
    uint32_t byte = static_cast<uint8_t>((*input)[i]);
    // The fifth byte holds bits 28..31 only.
    if (i == kMaxVarint32Length - 1 && byte > 0x0f) return false;
    result |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *v = result;
      input->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

// --- zigzag signed varints -------------------------------------------------

inline constexpr uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline constexpr int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline void PutVarsint64(std::string* dst, int64_t v) { PutVarint64(dst, ZigZagEncode(v)); }

inline bool GetVarsint64(std::string_view* input, int64_t* v) {
  uint64_t u;
  if (!GetVarint64(input, &u)) return false;
  *v = ZigZagDecode(u);
  return true;
}

// --- length-prefixed strings -----------------------------------------------

inline void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s.data(), s.size());
}

// *s points into the input buffer.
inline bool GetLengthPrefixed(std::string_view* input, std::string_view* s) {
  uint64_t len;
  if (!GetVarint64(input, &len) || len > input->size()) return false;
  *s = input->substr(0, len);
  input->remove_prefix(len);
  return true;
}

}  // namespace mytsdb::coding
