#include "head/label_block.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace mytsdb::head {

namespace {

char* WriteString(char* p, std::string_view s) {
  p = coding::EncodeVarint64(p, s.size());
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

}  // namespace

size_t LabelBlock::BytesFor(const model::Labels& labels) {
  uint64_t total = sizeof(uint32_t);
  for (const model::Label& l : labels) {
    total += coding::VarintLength(l.name.size()) + l.name.size() + coding::VarintLength(l.value.size()) +
             l.value.size();
  }
  if (total > UINT32_MAX) {
    std::fputs("LabelBlock: labels of 4 GiB or more\n", stderr);
    std::abort();
  }
  return static_cast<size_t>(total);
}

void LabelBlock::Write(const model::Labels& labels, char* out) {
  const auto size = static_cast<uint32_t>(BytesFor(labels));
  std::memcpy(out, &size, sizeof size);
  char* p = out + sizeof size;
  for (const model::Label& l : labels) {
    p = WriteString(p, l.name);
    p = WriteString(p, l.value);
  }
}

bool LabelBlock::Equals(const model::Labels& labels) const {
  const char* p = data_ + sizeof(uint32_t);
  const char* end = data_ + bytes();
  for (const model::Label& l : labels) {
    if (p == end || ReadString(&p) != l.name || ReadString(&p) != l.value) return false;
  }
  return p == end;
}

model::Labels LabelBlock::ToLabels() const {
  std::vector<model::Label> out;
  ForEach([&](std::string_view name, std::string_view value) {
    out.push_back({std::string(name), std::string(value)});
  });
  return model::Labels::FromSorted(std::move(out));
}

}  // namespace mytsdb::head
