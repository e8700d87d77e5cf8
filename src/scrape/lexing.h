// Character classes, unescaping and a body reader shared by the text and
// OpenMetrics parsers (an internal header of the scrape part).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"
#include "scrape/exposition.h"

namespace mytsdb::scrape::lexing {

inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsMetricNameStart(char c) { return IsLetter(c) || c == '_' || c == ':'; }
inline bool IsMetricNameChar(char c) { return IsMetricNameStart(c) || IsDigit(c); }
inline bool IsLabelNameStart(char c) { return IsLetter(c) || c == '_'; }
inline bool IsLabelNameChar(char c) { return IsLabelNameStart(c) || IsDigit(c); }

// Prometheus's unescaping: `\\` and `\n`, and `\"` when `quotes`, replaced
// left to right; other backslashes stay as they are.
inline std::string Unescape(std::string_view s, bool quotes) {
  if (s.find('\\') == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char next = s[i + 1];
      if (next == '\\' || next == 'n' || (quotes && next == '"')) {
        out.push_back(next == 'n' ? '\n' : next);
        ++i;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// What both parsers share: a position in the body with its line number,
// names read by character class, and the families' metadata in order of
// first mention.
class BodyReader {
 protected:
  explicit BodyReader(std::string_view body) : b_(body) {}

  bool AtEnd() const { return pos_ >= b_.size(); }
  char Peek() const { return AtEnd() ? '\0' : b_[pos_]; }
  void NextLine() {
    ++pos_;
    ++line_;
  }
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("line " + std::to_string(line_) + ": " + what);
  }

  std::string_view Name(bool (*start)(char), bool (*rest)(char)) {
    const size_t begin = pos_;
    if (!AtEnd() && start(b_[pos_])) {
      ++pos_;
      while (!AtEnd() && rest(b_[pos_])) ++pos_;
    }
    return b_.substr(begin, pos_ - begin);
  }

  FamilyMetadata& Family(std::string_view name) {
    auto [it, added] = family_index_.try_emplace(std::string(name), out_.metadata.size());
    if (added) out_.metadata.push_back({std::string(name), "", "", ""});
    return out_.metadata[it->second];
  }

  std::string_view b_;
  size_t pos_ = 0;
  size_t line_ = 1;
  Exposition out_;

 private:
  std::map<std::string, size_t, std::less<>> family_index_;
};

}  // namespace mytsdb::scrape::lexing
