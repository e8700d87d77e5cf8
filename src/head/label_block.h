// LabelBlock: a view of a head series' labels written as one run of bytes,
// read front to back.
//
// Layout: the block's size in bytes (4 bytes, native order), then for each
// label, in the order given (sorted by name): the name and the value, each
// length-prefixed (common/coding.h).
//
// Why one run of bytes: remote-write ingestion finds each incoming series
// among the head's by comparing its labels; as pointers to shared
// (interned) strings, each string was a cache miss of its own, and that
// comparison with the table look-up was a fifth of ingestion's CPU. And a
// churning workload gives most label values (pod names) to a single series,
// so an interning table saved nothing and cost a table entry a string:
// docs/design/head.md has the measurements. A series keeps its block in its
// own allocation, right after itself (head_internal.h), so that comparing
// its labels costs no pointer to follow.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/coding.h"
#include "model/labels.h"

namespace mytsdb::head {

class LabelBlock {
 public:
  // The bytes the block of `labels` takes. Aborts at 4 GiB or more (no
  // request can carry that).
  static size_t BytesFor(const model::Labels& labels);
  // Writes the block of `labels` to `out`, which holds BytesFor(labels) bytes.
  static void Write(const model::Labels& labels, char* out);

  // A view of a block that Write wrote; the bytes must outlive it.
  explicit LabelBlock(const char* data) : data_(data) {}

  // Whether `labels` are exactly these, in the same order.
  bool Equals(const model::Labels& labels) const;

  // Calls f(name, value) for each label, in order.
  template <class F>
  void ForEach(F&& f) const {
    const char* p = data_ + sizeof(uint32_t);
    const char* end = data_ + bytes();
    while (p < end) {
      std::string_view name = ReadString(&p);
      std::string_view value = ReadString(&p);
      f(name, value);
    }
  }

  model::Labels ToLabels() const;
  // The block's size in bytes, its size field included.
  uint32_t bytes() const {
    uint32_t n;
    std::memcpy(&n, data_, sizeof n);
    return n;
  }

 private:
  // A length-prefixed string (coding::GetLengthPrefixed's layout) at *p,
  // read without its bounds checks: the block is this process's own, and
  // comparing labels on ingestion runs this for every series of every
  // request (with the checks, ingestion took 7% more CPU: bench/ab_ingest.py).
  static std::string_view ReadString(const char** p) {
    const auto* q = reinterpret_cast<const uint8_t*>(*p);
    uint64_t length = 0;
    for (int shift = 0;; shift += 7) {
      const uint8_t byte = *q++;
      length |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    std::string_view s(reinterpret_cast<const char*>(q), length);
    *p = s.data() + length;
    return s;
  }

  const char* data_;
};

}  // namespace mytsdb::head
