#include "model/labels.h"

#include <algorithm>
#include <cstring>

#define XXH_STATIC_LINKING_ONLY  // for XXH3_state_t on the stack
#include <xxhash.h>

namespace mytsdb::model {

Labels::Labels(std::initializer_list<Label> labels) : labels_(labels) {
  std::stable_sort(labels_.begin(), labels_.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
}

Labels Labels::FromSorted(std::vector<Label> labels) {
  Labels out;
  out.labels_ = std::move(labels);
  return out;
}

Labels Labels::FromUnsorted(std::vector<Label> labels) {
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  return FromSorted(std::move(labels));
}

std::string_view Labels::Get(std::string_view name) const {
  for (const Label& l : labels_) {
    if (l.name == name) return l.value;
  }
  return {};
}

bool Labels::Has(std::string_view name) const {
  for (const Label& l : labels_) {
    if (l.name == name) return true;
  }
  return false;
}

namespace {
// Error messages echo client input; bytes that are not valid UTF-8 are shown
// as \xNN so that the message itself is valid text.
Status Invalid(const std::string& msg) {
  std::string out;
  size_t i = 0;
  while (i < msg.size()) {
    size_t len = 1;
    unsigned char c = static_cast<unsigned char>(msg[i]);
    if (c >= 0xC0) len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (c < 0x80 || (i + len <= msg.size() && IsValidUtf8(std::string_view(msg).substr(i, len)))) {
      out.append(msg, i, len);
      i += len;
    } else {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      i += 1;
    }
  }
  return Status::InvalidArgument(std::move(out));
}
}  // namespace

Status Labels::Validate(NameScheme scheme) const {
  bool has_name = false;
  for (size_t i = 0; i < labels_.size(); ++i) {
    const Label& l = labels_[i];
    bool name_ok = scheme == NameScheme::kLegacy
                       ? IsValidLegacyLabelName(l.name)
                       : (!l.name.empty() && IsValidUtf8(l.name));
    if (!name_ok) {
      return Invalid("invalid label name \"" + l.name + "\" in series " +
                                     ToString());
    }
    if (!IsValidUtf8(l.value)) {
      return Invalid("label \"" + l.name +
                                     "\" has a value that is not valid UTF-8");
    }
    if (i > 0) {
      const std::string& prev = labels_[i - 1].name;
      if (prev == l.name) {
        return Invalid("duplicate label name \"" + l.name + "\" in series " +
                                       ToString());
      }
      if (prev > l.name) {
        return Invalid("labels are not sorted by name (\"" + prev +
                                       "\" before \"" + l.name + "\") in series " + ToString());
      }
    }
    if (l.name == kMetricNameLabel) {
      bool metric_ok = scheme == NameScheme::kLegacy ? IsValidLegacyMetricName(l.value)
                                                     : !l.value.empty();
      if (!metric_ok) {
        return Invalid("invalid metric name \"" + l.value + "\"");
      }
      has_name = true;
    }
  }
  if (!has_name) {
    return Invalid("series " + ToString() + " has no metric name (__name__)");
  }
  return Status::OK();
}

uint64_t Labels::Hash() const {
  // XXH3 over name, value, name, value, ... with a separator byte that cannot
  // occur in UTF-8, so ("ab","c") and ("a","bc") differ. The hash is stored
  // (the cold tier's series_id), so its input bytes must never change. XXH3
  // gives the same digest for the same bytes whether they come in one call
  // or streamed; one call over a copy on the stack is several times faster
  // for the few hundred bytes of a typical series, whose hash ingestion
  // computes for every series of every request.
  static constexpr char kSep = '\xff';
  static constexpr size_t kStackBytes = 1024;
  size_t total = 0;
  for (const Label& l : labels_) total += l.name.size() + l.value.size() + 2;
  if (total <= kStackBytes) {
    char buf[kStackBytes];
    char* p = buf;
    for (const Label& l : labels_) {
      std::memcpy(p, l.name.data(), l.name.size());
      p += l.name.size();
      *p++ = kSep;
      std::memcpy(p, l.value.data(), l.value.size());
      p += l.value.size();
      *p++ = kSep;
    }
    return XXH3_64bits(buf, total);
  }
  return StreamedHash();
}

uint64_t Labels::StreamedHash() const {
  static constexpr char kSep = '\xff';
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  for (const Label& l : labels_) {
    XXH3_64bits_update(&state, l.name.data(), l.name.size());
    XXH3_64bits_update(&state, &kSep, 1);
    XXH3_64bits_update(&state, l.value.data(), l.value.size());
    XXH3_64bits_update(&state, &kSep, 1);
  }
  return XXH3_64bits_digest(&state);
}

namespace {

// Appends `labels` as a="b", c="d" (values quoted with Go's escapes for " \\ and newline).
void AppendLabelPairs(std::string* out, const std::vector<Label>& labels, bool skip_name) {
  bool first = true;
  for (const Label& l : labels) {
    if (skip_name && l.name == kMetricNameLabel) continue;
    if (!first) *out += ", ";
    first = false;
    *out += l.name;
    *out += "=\"";
    for (char c : l.value) {
      if (c == '"' || c == '\\') *out += '\\';
      if (c == '\n') {
        *out += "\\n";
        continue;
      }
      *out += c;
    }
    *out += '"';
  }
}

}  // namespace

std::string Labels::ToString() const {
  std::string out(metric_name());
  out += '{';
  AppendLabelPairs(&out, labels_, /*skip_name=*/true);
  out += '}';
  return out;
}

std::string Labels::ToBracedString() const {
  std::string out = "{";
  AppendLabelPairs(&out, labels_, /*skip_name=*/false);
  out += '}';
  return out;
}

bool IsValidLegacyLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsValidLegacyMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  // Label names and values are nearly always ASCII: skip 8 bytes at a time
  // while no byte has its high bit set.
  while (i + 8 <= n) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    if (word & 0x8080808080808080ULL) break;
    i += 8;
  }
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Reject overlong encodings, surrogates and code points past U+10FFFF,
    // as Go's utf8.ValidString does.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace mytsdb::model
