// A reader of the protobuf wire format (varints, fixed64, length-delimited
// fields, groups skipped), for decoding remote-write requests in place:
// strings come out as views into the decompressed body, nothing is
// allocated. Follows protobuf's parser where the wire format leaves a choice:
// a field whose wire type is not the expected one is an unknown field and is
// skipped, as are groups; field number 0, truncated or overlong varints and
// lengths past the end are errors.
//
// Private to the ingest module.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace mytsdb::ingest::wire {

enum WireType : int { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };

class Reader {
 public:
  explicit Reader(std::string_view data)
      : p_(reinterpret_cast<const uint8_t*>(data.data())), end_(p_ + data.size()) {}

  bool done() const { return p_ == end_; }

  // The next field's number and wire type; false if malformed. As in
  // protobuf, a key is at most 5 bytes and bits beyond 32 are dropped.
  bool ReadTag(uint32_t* field, int* wire_type) {
    uint32_t key = 0;
    for (int i = 0;; ++i) {
      if (i == 5 || p_ == end_) return false;
      uint8_t b = *p_++;
      key |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
      if (b < 0x80) break;
    }
    *field = key >> 3;
    *wire_type = static_cast<int>(key & 7);
    return *field != 0;
  }

  bool ReadVarint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      uint8_t b = *p_++;
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;  // more than 10 bytes
  }

  bool ReadFixed64(uint64_t* v) {
    if (end_ - p_ < 8) return false;
    std::memcpy(v, p_, 8);  // little-endian, as on every platform we build for
    p_ += 8;
    return true;
  }

  bool ReadBytes(std::string_view* v) {
    uint64_t n;
    if (!ReadVarint(&n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    *v = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return true;
  }

  // Skips the value of a field of `wire_type` (an unknown field).
  bool Skip(uint32_t field, int wire_type, int depth = 0) {
    uint64_t ignored;
    std::string_view bytes;
    switch (wire_type) {
      case kVarint: return ReadVarint(&ignored);
      case kFixed64: return ReadFixed64(&ignored);
      case kLengthDelimited: return ReadBytes(&bytes);
      case kFixed32:
        if (end_ - p_ < 4) return false;
        p_ += 4;
        return true;
      case kStartGroup: {
        // protobuf's recursion limit.
        if (depth >= 100) return false;
        for (;;) {
          uint32_t inner;
          int type;
          if (!ReadTag(&inner, &type)) return false;
          if (type == kEndGroup) return inner == field;
          if (!Skip(inner, type, depth + 1)) return false;
        }
      }
      default: return false;  // an end-group without its start, or 6 and 7
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace mytsdb::ingest::wire
