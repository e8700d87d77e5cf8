#include "cold/page_header.h"

#include <limits>
#include <string>

namespace mytsdb::cold {

namespace {

// Thrift compact protocol type codes.
enum : uint8_t {
  kStop = 0,
  kTrue = 1,
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

// Statistics nest one struct in another; far deeper is no page header (and
// the recursion that skips it must stay shallow whatever the input).
constexpr int kMaxDepth = 8;

class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> bytes)
      : begin_(bytes.data()), at_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  size_t consumed() const { return static_cast<size_t>(at_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - at_); }

  bool Byte(uint8_t* out) {
    if (at_ == end_) return false;
    *out = *at_++;
    return true;
  }
  bool Skip(uint64_t n) {
    if (n > remaining()) return false;
    at_ += n;
    return true;
  }
  bool Varint(uint64_t* out) {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ == end_) return false;
      const uint8_t b = *at_++;
      value |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *out = value;
        return true;
      }
    }
    return false;  // more than ten bytes
  }
  bool ZigZag(int64_t* out) {
    uint64_t v = 0;
    if (!Varint(&v)) return false;
    *out = static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
    return true;
  }
  bool I32(int32_t* out) {
    int64_t v = 0;
    if (!ZigZag(&v) || v < std::numeric_limits<int32_t>::min() ||
        v > std::numeric_limits<int32_t>::max()) {
      return false;
    }
    *out = static_cast<int32_t>(v);
    return true;
  }

 private:
  const uint8_t* begin_;
  const uint8_t* at_;
  const uint8_t* end_;
};

// Reads a field header of a struct: *type kStop at the struct's end.
// `last_id` is the previous field's id (short headers give a delta to it).
bool FieldHeader(Cursor& c, int16_t* last_id, int16_t* id, uint8_t* type) {
  uint8_t b = 0;
  if (!c.Byte(&b)) return false;
  if (b == kStop) {
    *type = kStop;
    return true;
  }
  *type = b & 0x0f;
  const int delta = b >> 4;
  if (delta != 0) {
    *id = static_cast<int16_t>(*last_id + delta);
  } else {
    int64_t long_id = 0;
    if (!c.ZigZag(&long_id) || long_id < std::numeric_limits<int16_t>::min() ||
        long_id > std::numeric_limits<int16_t>::max()) {
      return false;
    }
    *id = static_cast<int16_t>(long_id);
  }
  *last_id = *id;
  return true;
}

bool SkipValue(Cursor& c, uint8_t type, int depth, bool in_container);

bool SkipStruct(Cursor& c, int depth) {
  if (depth > kMaxDepth) return false;
  int16_t last_id = 0;
  for (;;) {
    int16_t id = 0;
    uint8_t type = 0;
    if (!FieldHeader(c, &last_id, &id, &type)) return false;
    if (type == kStop) return true;
    if (!SkipValue(c, type, depth, false)) return false;
  }
}

// Skips `count` elements of `type`: each takes at least one byte, so a
// count beyond what remains is no valid input (and no long loop).
bool SkipElements(Cursor& c, uint64_t count, uint8_t type, int depth) {
  if (count > c.remaining()) return false;
  for (uint64_t i = 0; i < count; ++i) {
    if (!SkipValue(c, type, depth, true)) return false;
  }
  return true;
}

bool SkipValue(Cursor& c, uint8_t type, int depth, bool in_container) {
  if (depth > kMaxDepth) return false;  // lists in lists count, as structs in structs
  uint64_t n = 0;
  uint8_t b = 0;
  switch (type) {
    case kTrue:
    case kFalse:
      // A field's boolean is in its type code; a container's takes a byte.
      return !in_container || c.Skip(1);
    case kByte:
      return c.Skip(1);
    case kI16:
    case kI32:
    case kI64:
      return c.Varint(&n);
    case kDouble:
      return c.Skip(8);
    case kBinary:
      return c.Varint(&n) && c.Skip(n);
    case kList:
    case kSet: {
      if (!c.Byte(&b)) return false;
      n = b >> 4;
      if (n == 15 && !c.Varint(&n)) return false;
      return SkipElements(c, n, b & 0x0f, depth + 1);
    }
    case kMap: {
      if (!c.Varint(&n)) return false;
      if (n == 0) return true;
      if (!c.Byte(&b) || n > c.remaining()) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!SkipValue(c, b >> 4, depth + 1, true) || !SkipValue(c, b & 0x0f, depth + 1, true)) {
          return false;
        }
      }
      return true;
    }
    case kStruct:
      return SkipStruct(c, depth + 1);
    default:
      return false;
  }
}

Status Bad(const std::string& what) { return Status::Corruption("page header: " + what); }

// Reads the fields of a struct, handing each known i32 field to `on_i32`
// and each boolean to `on_bool` (id, value); everything else is skipped.
// Returns the ids seen as a bit set (ids 1..63).
template <typename OnI32, typename OnBool>
Status ReadFields(Cursor& c, int depth, uint64_t* seen, OnI32 on_i32, OnBool on_bool) {
  if (depth > kMaxDepth) return Bad("nested too deeply");
  int16_t last_id = 0;
  *seen = 0;
  for (;;) {
    int16_t id = 0;
    uint8_t type = 0;
    if (!FieldHeader(c, &last_id, &id, &type)) return Bad("truncated");
    if (type == kStop) return Status::OK();
    if (id > 0 && id < 64) *seen |= uint64_t{1} << id;
    if (type == kI32) {
      int32_t v = 0;
      if (!c.I32(&v)) return Bad("truncated or out-of-range integer");
      if (!on_i32(id, v)) return Bad("field " + std::to_string(id) + " out of range");
    } else if (type == kTrue || type == kFalse) {
      on_bool(id, type == kTrue);
    } else if (!SkipValue(c, type, depth, false)) {
      return Bad("truncated");
    }
  }
}

bool Has(uint64_t seen, std::initializer_list<int> ids) {
  for (int id : ids) {
    if ((seen & (uint64_t{1} << id)) == 0) return false;
  }
  return true;
}

bool NotNegative(int32_t v) { return v >= 0; }

}  // namespace

Status ParsePageHeader(std::span<const uint8_t> bytes, PageHeader* out, size_t* header_size) {
  *out = PageHeader{};
  Cursor c(bytes);
  int16_t last_id = 0;
  int32_t kind = -1;
  bool have_uncompressed = false, have_compressed = false;
  uint64_t data_seen = 0, v2_seen = 0, dict_seen = 0;
  bool data = false, v2 = false, dict = false;
  auto no_bool = [](int16_t, bool) {};
  for (;;) {
    int16_t id = 0;
    uint8_t type = 0;
    if (!FieldHeader(c, &last_id, &id, &type)) return Bad("truncated");
    if (type == kStop) break;
    if (type == kI32 && id >= 1 && id <= 4) {
      int32_t v = 0;
      if (!c.I32(&v)) return Bad("truncated or out-of-range integer");
      if (id == 1) kind = v;
      if (id == 2) {
        out->uncompressed_size = v;
        have_uncompressed = true;
      }
      if (id == 3) {
        out->compressed_size = v;
        have_compressed = true;
      }
      continue;  // 4: the CRC, not checked (nor is it by Parquet's own reader by default)
    }
    if (type == kStruct && id == 5) {
      data = true;
      RETURN_NOT_OK(ReadFields(
          c, 1, &data_seen,
          [&](int16_t f, int32_t v) {
            if (f == 1) out->num_values = v;
            if (f == 2) out->encoding = v;
            if (f == 3) out->definition_level_encoding = v;
            if (f == 4) out->repetition_level_encoding = v;
            return f != 1 || NotNegative(v);
          },
          no_bool));
      continue;
    }
    if (type == kStruct && id == 7) {
      dict = true;
      RETURN_NOT_OK(ReadFields(
          c, 1, &dict_seen,
          [&](int16_t f, int32_t v) {
            if (f == 1) out->num_values = v;
            if (f == 2) out->encoding = v;
            return f != 1 || NotNegative(v);
          },
          [&](int16_t f, bool v) {
            if (f == 3) out->is_sorted = v;
          }));
      continue;
    }
    if (type == kStruct && id == 8) {
      v2 = true;
      RETURN_NOT_OK(ReadFields(
          c, 1, &v2_seen,
          [&](int16_t f, int32_t v) {
            if (f == 1) out->num_values = v;
            if (f == 2) out->num_nulls = v;
            if (f == 3) out->num_rows = v;
            if (f == 4) out->encoding = v;
            if (f == 5) out->definition_levels_byte_length = v;
            if (f == 6) out->repetition_levels_byte_length = v;
            return f == 4 || f > 6 || NotNegative(v);
          },
          [&](int16_t f, bool v) {
            if (f == 7) out->is_compressed = v;
          }));
      continue;
    }
    if (!SkipValue(c, type, 0, false)) return Bad("truncated");
  }
  if (kind < 0 || kind > 3) return Bad("unknown page type " + std::to_string(kind));
  if (!have_uncompressed || !have_compressed) return Bad("no page size");
  if (out->uncompressed_size < 0 || out->compressed_size < 0) return Bad("negative page size");
  out->kind = static_cast<PageKind>(kind);
  switch (out->kind) {
    case PageKind::kData:
      if (!data || !Has(data_seen, {1, 2, 3, 4})) return Bad("data page without its header");
      break;
    case PageKind::kDataV2:
      if (!v2 || !Has(v2_seen, {1, 2, 3, 4, 5, 6})) return Bad("data page v2 without its header");
      if (static_cast<int64_t>(out->definition_levels_byte_length) +
              out->repetition_levels_byte_length > out->compressed_size ||
          static_cast<int64_t>(out->definition_levels_byte_length) +
              out->repetition_levels_byte_length > out->uncompressed_size) {
        return Bad("levels longer than the page");
      }
      break;
    case PageKind::kDictionary:
      if (!dict || !Has(dict_seen, {1, 2})) return Bad("dictionary page without its header");
      break;
    case PageKind::kIndex:
      break;
  }
  *header_size = c.consumed();
  return Status::OK();
}

}  // namespace mytsdb::cold
