#include "model/label_sets.h"

#include <xxhash.h>

#include <cstring>

namespace mytsdb::model {
namespace {

void PutLength(std::string* out, size_t n) {
  while (n >= 0x80) {
    out->push_back(static_cast<char>((n & 0x7F) | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
}

// The buffer is only ever written by PutLength: no bounds to distrust.
size_t GetLength(const char** p) {
  size_t n = 0;
  for (int shift = 0;; shift += 7) {
    auto byte = static_cast<unsigned char>(*(*p)++);
    n |= static_cast<size_t>(byte & 0x7F) << shift;
    if (byte < 0x80) return n;
  }
}

}  // namespace

bool LabelSets::Cursor::Next(std::string_view* name, std::string_view* value) {
  if (p == end) return false;
  size_t n = GetLength(&p);
  *name = {p, n};
  p += n;
  n = GetLength(&p);
  *value = {p, n};
  p += n;
  return true;
}

void LabelSets::AddLabel(std::string_view name, std::string_view value) {
  PutLength(&data_, name.size());
  data_.append(name);
  PutLength(&data_, value.size());
  data_.append(value);
}

void LabelSets::Append(const Labels& labels) {
  for (const Label& l : labels) AddLabel(l.name, l.value);
  EndSet();
}

void LabelSets::AppendFrom(const LabelSets& other, size_t i) {
  Cursor c = other.Begin(i);
  data_.append(c.p, c.end);
  EndSet();
}

Labels LabelSets::At(size_t i) const {
  std::vector<Label> out;
  ForEach(i, [&](std::string_view name, std::string_view value) {
    out.push_back({std::string(name), std::string(value)});
  });
  return Labels::FromSorted(std::move(out));
}

std::string_view LabelSets::Get(size_t i, std::string_view name) const {
  Cursor c = Begin(i);
  std::string_view n, v;
  while (c.Next(&n, &v)) {
    if (n == name) return v;
  }
  return {};
}

std::weak_ordering LabelSets::Compare(size_t a, size_t b) const {
  Cursor ca = Begin(a), cb = Begin(b);
  std::string_view na, va, nb, vb;
  for (;;) {
    bool more_a = ca.Next(&na, &va), more_b = cb.Next(&nb, &vb);
    if (!more_a || !more_b) return more_a <=> more_b;
    if (auto c = na <=> nb; c != 0) return c;
    if (auto c = va <=> vb; c != 0) return c;
  }
}

uint64_t LabelSets::Hash(size_t i) const {
  // The bytes Labels::Hash() digests (name, 0xff, value, 0xff per label), in
  // one call over a stack copy as there; a set too large for it (rare) is
  // materialized.
  static constexpr char kSep = '\xff';
  static constexpr size_t kStackBytes = 1024;
  char buf[kStackBytes];
  size_t used = 0;
  bool fits = true;
  ForEach(i, [&](std::string_view name, std::string_view value) {
    if (!fits || used + name.size() + value.size() + 2 > kStackBytes) {
      fits = false;
      return;
    }
    std::memcpy(buf + used, name.data(), name.size());
    used += name.size();
    buf[used++] = kSep;
    std::memcpy(buf + used, value.data(), value.size());
    used += value.size();
    buf[used++] = kSep;
  });
  return fits ? XXH3_64bits(buf, used) : At(i).Hash();
}

bool LabelSets::Equals(size_t i, const Labels& labels) const {
  Cursor c = Begin(i);
  std::string_view name, value;
  for (const Label& l : labels) {
    if (!c.Next(&name, &value) || name != l.name || value != l.value) return false;
  }
  return !c.Next(&name, &value);
}

}  // namespace mytsdb::model
