#include "alertmanager/matcher.h"

#include <algorithm>
#include <tuple>

#include "model/labels.h"

namespace mytsdb::alertmanager {

namespace {

// OpenMetrics escapes of a matcher's printed value.
std::string Escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

const char* MatchTypeString(MatchType type) {
  switch (type) {
    case MatchType::kEqual: return "=";
    case MatchType::kNotEqual: return "!=";
    case MatchType::kRegexp: return "=~";
    case MatchType::kNotRegexp: return "!~";
  }
  return "";
}

namespace {

Status GoRegexError(const RE2& re) {
  // Go's regexp/syntax is a port of RE2's parser: the same errors, worded
  // as Go words them.
  const char* what = "regexp/syntax: internal error";
  switch (re.error_code()) {
    case RE2::ErrorBadEscape: what = "invalid escape sequence"; break;
    case RE2::ErrorBadCharClass: what = "invalid character class"; break;
    case RE2::ErrorBadCharRange: what = "invalid character class range"; break;
    case RE2::ErrorMissingBracket: what = "missing closing ]"; break;
    case RE2::ErrorMissingParen: what = "missing closing )"; break;
    case RE2::ErrorTrailingBackslash: what = "trailing backslash at end of expression"; break;
    case RE2::ErrorRepeatArgument: what = "missing argument to repetition operator"; break;
    case RE2::ErrorRepeatSize: what = "invalid repeat count"; break;
    case RE2::ErrorRepeatOp: what = "invalid nested repetition operator"; break;
    case RE2::ErrorBadPerlOp: what = "invalid or unsupported Perl syntax"; break;
    case RE2::ErrorBadUTF8: what = "invalid UTF-8"; break;
    case RE2::ErrorBadNamedCapture: what = "invalid named capture"; break;
    case RE2::ErrorPatternTooLarge: what = "expression too large"; break;
    default: break;
  }
  return Status::InvalidArgument(std::string("error parsing regexp: ") + what + ": `" + re.error_arg() + "`");
}

}  // namespace

Status CheckRegex(const std::string& anchored) {
  RE2 re(anchored, RE2::Quiet);
  return re.ok() ? Status::OK() : GoRegexError(re);
}

Result<Matcher> Matcher::Make(MatchType type, std::string name, std::string value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == MatchType::kRegexp || type == MatchType::kNotRegexp) {
    auto re = std::make_shared<RE2>("^(?:" + m.value_ + ")$", RE2::Quiet);
    if (!re->ok()) return GoRegexError(*re);
    m.re_ = std::move(re);
  }
  return m;
}

bool Matcher::Matches(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual: return v == value_;
    case MatchType::kNotEqual: return v != value_;
    case MatchType::kRegexp: return RE2::FullMatch(v, *re_);
    case MatchType::kNotRegexp: return !RE2::FullMatch(v, *re_);
  }
  return false;
}

std::string Matcher::String() const { return name_ + MatchTypeString(type_) + "\"" + Escape(value_) + "\""; }

bool MatchesAll(const Matchers& matchers, const model::Labels& labels) {
  return std::all_of(matchers.begin(), matchers.end(),
                     [&](const Matcher& m) { return m.Matches(labels.Get(m.name())); });
}

void SortMatchers(Matchers* matchers) {
  std::stable_sort(matchers->begin(), matchers->end(), [](const Matcher& a, const Matcher& b) {
    return std::make_tuple(std::string_view(a.name()), std::string_view(a.value()), static_cast<int>(a.type())) <
           std::make_tuple(std::string_view(b.name()), std::string_view(b.value()), static_cast<int>(b.type()));
  });
}

std::string MatchersString(const Matchers& matchers) {
  std::string out = "{";
  for (size_t i = 0; i < matchers.size(); ++i) out += (i ? "," : "") + matchers[i].String();
  return out + "}";
}

Result<Matcher> ParseMatcher(std::string_view s) {
  // ^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$
  static const RE2 re(R"(^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$)");
  std::string name, op, raw;
  if (!RE2::FullMatch(s, re, &name, &op, &raw)) {
    return Status::InvalidArgument("bad matcher format: " + std::string(s));
  }
  const std::string quoted = raw;
  std::string_view rest = raw;
  bool expect_trailing_quote = false;
  if (!rest.empty() && rest.front() == '"') {
    rest.remove_prefix(1);
    expect_trailing_quote = true;
  }
  if (!model::IsValidUtf8(rest)) return Status::InvalidArgument("matcher value not valid UTF-8: " + quoted);
  std::string value;
  bool escaped = false;
  for (size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (escaped) {
      escaped = false;
      if (c == 'n') {
        value += '\n';
      } else if (c == '"' || c == '\\') {
        value += c;
      } else {
        value += '\\';  // a spurious escape: the '\' is literal
        value += c;
      }
      continue;
    }
    if (c == '\\') {
      if (i + 1 < rest.size()) {
        escaped = true;
      } else {
        value += '\\';  // last byte: literal
      }
    } else if (c == '"') {
      if (!expect_trailing_quote || i + 1 < rest.size()) {
        return Status::InvalidArgument("matcher value contains unescaped double quote: " + quoted);
      }
      expect_trailing_quote = false;
    } else {
      value += c;
    }
  }
  if (expect_trailing_quote) return Status::InvalidArgument("matcher value contains unescaped double quote: " + quoted);
  const MatchType type = op == "=" ? MatchType::kEqual
                         : op == "!=" ? MatchType::kNotEqual
                         : op == "=~" ? MatchType::kRegexp
                                      : MatchType::kNotRegexp;
  return Matcher::Make(type, std::move(name), std::move(value));
}

Result<Matchers> ParseMatchers(std::string_view s) {
  if (!s.empty() && s.front() == '{') s.remove_prefix(1);
  if (!s.empty() && s.back() == '}') s.remove_suffix(1);
  std::vector<std::string> tokens;
  std::string token;
  bool inside_quotes = false, escaped = false;
  for (char c : s) {
    if (c == ',' && !inside_quotes) {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (c == '"') {
      if (!escaped) {
        inside_quotes = !inside_quotes;
      } else {
        escaped = false;
      }
    } else if (c == '\\') {
      escaped = !escaped;
    } else {
      escaped = false;
    }
    token += c;
  }
  const size_t first = token.find_first_not_of(" \t\n\r\f\v");
  if (first != std::string::npos) tokens.push_back(token);
  Matchers out;
  for (const std::string& t : tokens) {
    ASSIGN_OR_RETURN(Matcher m, ParseMatcher(t));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace mytsdb::alertmanager
