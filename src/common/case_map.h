// Case mapping of UTF-8 text as Go's strings.ToUpper, ToLower and Title
// map it, for the scripts label values are written in (template functions,
// relabeling's lowercase and uppercase).
#pragma once

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/utf8.h"

namespace mytsdb {

// Simple case mapping of the scripts label values are written in: ASCII,
// Latin-1, Latin Extended-A, Greek and Cyrillic (Go's unicode tables know
// every script; other characters are left as they are).
inline int32_t ToUpperRune(int32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') ? r - 32 : r;
  if ((r >= 0xe0 && r <= 0xfe && r != 0xf7)) return r - 0x20;
  if (r == 0xff) return 0x178;
  if (r >= 0x100 && r <= 0x17f) {
    if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17e)) return (r % 2 == 0) ? r - 1 : r;
    if (r == 0x131) return 'I';
    if (r == 0x17f) return 'S';
    if (r == 0x130 || r == 0x138 || r == 0x149) return r;
    return (r % 2 == 1) ? r - 1 : r;
  }
  if (r >= 0x3b1 && r <= 0x3c9 && r != 0x3c2) return r - 0x20;
  if (r == 0x3c2) return 0x3a3;
  if (r >= 0x430 && r <= 0x44f) return r - 0x20;
  if (r >= 0x450 && r <= 0x45f) return r - 0x50;
  return r;
}

inline int32_t ToLowerRune(int32_t r) {
  if (r < 0x80) return (r >= 'A' && r <= 'Z') ? r + 32 : r;
  if (r >= 0xc0 && r <= 0xde && r != 0xd7) return r + 0x20;
  if (r == 0x178) return 0xff;
  if (r >= 0x100 && r <= 0x17f) {
    if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17e)) return (r % 2 == 1) ? r + 1 : r;
    if (r == 0x130) return 'i';
    if (r == 0x131 || r == 0x138 || r == 0x149 || r == 0x17f) return r;
    return (r % 2 == 0) ? r + 1 : r;
  }
  if (r >= 0x391 && r <= 0x3a9 && r != 0x3a2) return r + 0x20;
  if (r >= 0x410 && r <= 0x42f) return r + 0x20;
  if (r >= 0x400 && r <= 0x40f) return r + 0x50;
  return r;
}

inline bool IsLetterOrDigit(int32_t r) {
  if (r < 0x80) return std::isalnum(static_cast<int>(r)) || r == '_';
  return ToUpperRune(r) != r || ToLowerRune(r) != r || r >= 0x100;
}

// Maps every character; with `words`, only the first of each word (Go's
// strings.Title: a word starts after anything but a letter, digit or '_').
inline std::string MapRunes(std::string_view s, int32_t (*fn)(int32_t), bool words = false) {
  std::string out;
  bool at_start = true;
  for (size_t i = 0; i < s.size();) {
    const auto [cp, len] = DecodeUtf8(s, i);
    const int32_t r = static_cast<int32_t>(cp);
    const bool valid = !(r == 0xfffd && len == 1);
    if (!valid) {
      out.push_back(s[i]);
    } else {
      AppendUtf8(&out, static_cast<uint32_t>((!words || at_start) ? fn(r) : r));
    }
    at_start = !valid || !IsLetterOrDigit(r);
    i += len;
  }
  return out;
}

// Go's strings.ToUpper and strings.ToLower (within the scripts above).
inline std::string ToUpperUtf8(std::string_view s) { return MapRunes(s, ToUpperRune); }
inline std::string ToLowerUtf8(std::string_view s) { return MapRunes(s, ToLowerRune); }

}  // namespace mytsdb
