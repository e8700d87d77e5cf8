#include "promql/selector_parser.h"

#include <cctype>

#include "common/utf8.h"

namespace mytsdb::promql {

namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }
bool IsMetricChar(char c) { return IsIdentChar(c) || c == ':'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class SelectorParser {
 public:
  explicit SelectorParser(std::string_view in) : in_(in) {}

  Result<model::Matchers> Parse() {
    SkipSpace();
    if (pos_ < in_.size() && (IsIdentStart(in_[pos_]) || in_[pos_] == ':')) {
      size_t start = pos_;
      while (pos_ < in_.size() && IsMetricChar(in_[pos_])) ++pos_;
      metric_name_ = std::string(in_.substr(start, pos_ - start));
      has_metric_name_ = true;
    }
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == '{') {
      ++pos_;
      RETURN_NOT_OK(ParseMatcherList());
    } else if (!has_metric_name_) {
      return Error(pos_ < in_.size() ? "unexpected character " + Quote(in_[pos_])
                                     : "unexpected end of input");
    }
    SkipSpace();
    if (pos_ != in_.size()) {
      return Error("unexpected character " + Quote(in_[pos_]) + " after the selector");
    }
    if (has_metric_name_) {
      ASSIGN_OR_RETURN(auto m, model::Matcher::Make(model::MatchType::kEqual,
                                                    std::string(model::kMetricNameLabel),
                                                    metric_name_));
      matchers_.insert(matchers_.begin(), std::move(m));
    }
    bool any_non_empty = false;
    for (const auto& m : matchers_) any_non_empty |= !m.MatchesEmpty();
    if (!any_non_empty) {
      return Status::InvalidArgument(
          "1:1: parse error: vector selector must contain at least one non-empty matcher");
    }
    return std::move(matchers_);
  }

 private:
  Status Error(const std::string& msg) const {
    return Status::InvalidArgument("1:" + std::to_string(pos_ + 1) + ": parse error: " + msg);
  }
  static std::string Quote(char c) { return std::string("\"") + c + "\""; }

  void SkipSpace() {
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '#') {  // comment to end of line
        while (pos_ < in_.size() && in_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  // Reads a quoted string at pos_ and unquotes it.
  Result<std::string> ParseString() {
    size_t start = pos_;
    char quote = in_[pos_++];
    while (pos_ < in_.size() && in_[pos_] != quote) {
      if (in_[pos_] == '\\' && quote != '`') ++pos_;
      if (pos_ < in_.size() && in_[pos_] == '\n' && quote != '`') {
        return Error("unterminated quoted string");
      }
      ++pos_;
    }
    if (pos_ >= in_.size()) return Error("unterminated quoted string");
    ++pos_;
    auto s = UnquoteString(in_.substr(start, pos_ - start));
    if (!s.ok()) return Error(s.status().message());
    return s;
  }

  Status ParseMatcherList() {
    while (true) {
      SkipSpace();
      if (pos_ >= in_.size()) return Error("unexpected end of input inside braces");
      if (in_[pos_] == '}') {
        ++pos_;
        return Status::OK();
      }
      // A label name, or a quoted name that is either a label name (when an
      // operator follows) or the metric name (when not).
      std::string name;
      bool quoted = false;
      if (in_[pos_] == '"' || in_[pos_] == '\'' || in_[pos_] == '`') {
        ASSIGN_OR_RETURN(name, ParseString());
        quoted = true;
      } else if (IsIdentStart(in_[pos_])) {
        size_t start = pos_;
        while (pos_ < in_.size() && IsIdentChar(in_[pos_])) ++pos_;
        name = std::string(in_.substr(start, pos_ - start));
      } else {
        return Error("unexpected character inside braces: " + Quote(in_[pos_]));
      }
      SkipSpace();
      if (quoted && (pos_ >= in_.size() || in_[pos_] == ',' || in_[pos_] == '}')) {
        if (has_metric_name_) return Error("metric name must not be set twice: \"" + name + "\"");
        metric_name_ = name;
        has_metric_name_ = true;
      } else {
        if (pos_ >= in_.size()) return Error("unexpected end of input inside braces");
        model::MatchType type;
        if (in_.substr(pos_, 2) == "=~") {
          type = model::MatchType::kRegexMatch;
          pos_ += 2;
        } else if (in_.substr(pos_, 2) == "!~") {
          type = model::MatchType::kRegexNoMatch;
          pos_ += 2;
        } else if (in_.substr(pos_, 2) == "!=") {
          type = model::MatchType::kNotEqual;
          pos_ += 2;
        } else if (in_[pos_] == '=') {
          type = model::MatchType::kEqual;
          pos_ += 1;
        } else {
          return Error("unexpected character inside braces: " + Quote(in_[pos_]) +
                       ", expected a label matching operator");
        }
        SkipSpace();
        if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\'' && in_[pos_] != '`')) {
          return Error("unexpected " +
                       (pos_ >= in_.size() ? std::string("end of input") : Quote(in_[pos_])) +
                       " in label matching, expected string");
        }
        ASSIGN_OR_RETURN(std::string value, ParseString());
        auto m = model::Matcher::Make(type, std::move(name), std::move(value));
        if (!m.ok()) return Error(m.status().message());
        matchers_.push_back(m.MoveValue());
      }
      SkipSpace();
      if (pos_ < in_.size() && in_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < in_.size() && in_[pos_] == '}') continue;
      return Error(pos_ >= in_.size() ? "unexpected end of input inside braces"
                                      : "unexpected character inside braces: " + Quote(in_[pos_]));
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool has_metric_name_ = false;
  std::string metric_name_;
  model::Matchers matchers_;
};

}  // namespace

Result<std::string> UnquoteString(std::string_view lit) {
  if (lit.size() < 2 || lit.front() != lit.back()) return Status::InvalidArgument("invalid string");
  char quote = lit.front();
  std::string_view body = lit.substr(1, lit.size() - 2);
  if (quote == '`') return std::string(body);
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= body.size()) return Status::InvalidArgument("invalid escape at end of string");
    char e = body[i];
    switch (e) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"':
      case '\'':
        if (e != quote) return Status::InvalidArgument(std::string("unknown escape sequence \\") + e);
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t v = 0;
        for (size_t k = 1; k <= n; ++k) {
          if (i + k >= body.size()) return Status::InvalidArgument("invalid escape sequence");
          int h = HexValue(body[i + k]);
          if (h < 0) return Status::InvalidArgument("invalid escape sequence");
          v = v * 16 + h;
        }
        i += n;
        if (e == 'x') {
          out += static_cast<char>(v);
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
            return Status::InvalidArgument("escape sequence is an invalid Unicode code point");
          }
          mytsdb::AppendUtf8(&out, v);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {  // octal \ooo
          if (i + 2 >= body.size()) return Status::InvalidArgument("invalid escape sequence");
          int v = 0;
          for (size_t k = 0; k < 3; ++k) {
            char d = body[i + k];
            if (d < '0' || d > '7') return Status::InvalidArgument("invalid escape sequence");
            v = v * 8 + (d - '0');
          }
          if (v > 255) return Status::InvalidArgument("octal escape value > 255");
          out += static_cast<char>(v);
          i += 2;
          break;
        }
        return Status::InvalidArgument(std::string("unknown escape sequence \\") + e);
    }
  }
  return out;
}

Result<model::Matchers> ParseSeriesSelector(std::string_view input) {
  return SelectorParser(input).Parse();
}

}  // namespace mytsdb::promql
