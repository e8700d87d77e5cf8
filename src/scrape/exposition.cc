#include "scrape/exposition.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

#include "model/sample.h"

namespace mytsdb::scrape {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsMetricNameStart(char c) { return IsLetter(c) || c == '_' || c == ':'; }
bool IsMetricNameChar(char c) { return IsMetricNameStart(c) || IsDigit(c); }
bool IsLabelNameStart(char c) { return IsLetter(c) || c == '_'; }
bool IsLabelNameChar(char c) { return IsLabelNameStart(c) || IsDigit(c); }

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// Prometheus's unescaping: each of `pairs` ("\\\"", "\"", ...) replaced
// left to right; other backslashes stay as they are.
std::string Unescape(std::string_view s, bool quotes) {
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

bool IsValidUtf8(std::string_view s) { return model::IsValidUtf8(s); }

class TextParser {
 public:
  explicit TextParser(std::string_view body) : b_(body) {}

  Result<Exposition> Parse() {
    for (;;) {
      SkipBlanks();
      // The end, or a NUL where a line starts (Prometheus's lexer ends there).
      if (AtEnd() || b_[pos_] == '\0') break;
      const char c = b_[pos_];
      if (c == '\n') {
        NextLine();
        continue;
      }
      if (c == '#') {
        RETURN_NOT_OK(ParseHashLine());
        continue;
      }
      if (c == '{' || IsMetricNameStart(c)) {
        RETURN_NOT_OK(ParseSample());
        continue;
      }
      return Error("expected a metric name, a comment or HELP/TYPE");
    }
    return std::move(out_);
  }

 private:
  bool AtEnd() const { return pos_ >= b_.size(); }
  char Peek() const { return AtEnd() ? '\0' : b_[pos_]; }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(b_[pos_])) ++pos_;
  }
  void NextLine() {
    ++pos_;
    ++line_;
  }
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("line " + std::to_string(line_) + ": " + what);
  }

  // The rest of the line (without the newline); pos_ stays at the newline.
  std::string_view RestOfLine() {
    const size_t end = b_.find('\n', pos_);
    const std::string_view rest = b_.substr(pos_, end == std::string_view::npos ? std::string_view::npos : end - pos_);
    pos_ += rest.size();
    return rest;
  }

  // A quoted string at pos_: its text between the quotes (escapes kept).
  // As in Prometheus's lexer, it may hold newlines (not after a backslash).
  Result<std::string_view> Quoted() {
    const size_t start = ++pos_;
    while (!AtEnd()) {
      const char c = b_[pos_];
      if (c == '"') {
        ++pos_;
        return b_.substr(start, pos_ - 1 - start);
      }
      if (c == '\\') {
        if (pos_ + 1 >= b_.size() || b_[pos_ + 1] == '\n') break;
        pos_ += 2;
        continue;
      }
      if (c == '\n') ++line_;
      ++pos_;
    }
    return Error("unterminated quoted string");
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
    if (added) out_.metadata.push_back({std::string(name), "", ""});
    return out_.metadata[it->second];
  }

  // '#': HELP or TYPE when followed by blanks, the keyword and blanks;
  // any other comment is skipped.
  Status ParseHashLine() {
    ++pos_;
    const size_t after_hash = pos_;
    SkipBlanks();
    std::string_view keyword = b_.substr(pos_, 4);
    const bool meta = pos_ > after_hash && (keyword == "HELP" || keyword == "TYPE") && pos_ + 4 < b_.size() &&
                      IsBlank(b_[pos_ + 4]);
    if (!meta) {
      RestOfLine();
      if (!AtEnd()) NextLine();
      return Status::OK();
    }
    pos_ += 4;
    SkipBlanks();
    std::string_view name;
    if (Peek() == '"') {
      ASSIGN_OR_RETURN(name, Quoted());
    } else {
      name = Name(IsMetricNameStart, IsMetricNameChar);
      if (name.empty()) return Error("expected metric name after " + std::string(keyword));
    }
    // The rest of the line less its first character (the blank after the
    // name); a rest of blanks only is no text.
    std::string_view rest = RestOfLine();
    std::string_view text;
    if (rest.find_first_not_of(" \t") != std::string_view::npos) text = rest.substr(1);
    if (!AtEnd()) NextLine();
    if (keyword == "TYPE") {
      std::string type;
      if (text == "counter" || text == "gauge" || text == "histogram" || text == "summary") {
        type = std::string(text);
      } else if (text == "untyped") {
        type = "unknown";
      } else {
        return Error("invalid metric type \"" + std::string(text) + "\"");
      }
      Family(name).type = type;
      current_type_ = std::move(type);
    } else {
      if (!IsValidUtf8(text)) return Error("help text is not valid UTF-8");
      Family(name).help = Unescape(text, /*quotes=*/false);
    }
    return Status::OK();
  }

  Status ParseLabels(ScrapedSample* sample, std::optional<std::string>* name) {
    ++pos_;  // '{'
    for (;;) {
      SkipBlanks();
      const char c = Peek();
      if (c == '}') {
        ++pos_;
        return Status::OK();
      }
      std::string label;
      bool quoted = false;
      if (c == '"') {
        ASSIGN_OR_RETURN(std::string_view raw, Quoted());
        label = Unescape(raw, /*quotes=*/true);
        quoted = true;
      } else if (IsLabelNameStart(c)) {
        label = std::string(Name(IsLabelNameStart, IsLabelNameChar));
      } else {
        return Error("expected label name");
      }
      SkipBlanks();
      // A quoted string followed by ',' or '}' is the metric's name.
      if (quoted && (Peek() == ',' || Peek() == '}')) {
        if (name->has_value()) return Error("metric name already set");
        *name = std::move(label);
        if (Peek() == ',') ++pos_;
        continue;
      }
      if (Peek() != '=') return Error("expected equal after label name \"" + label + "\"");
      ++pos_;
      SkipBlanks();
      if (Peek() != '"') return Error("expected label value after \"" + label + "=\"");
      ASSIGN_OR_RETURN(std::string_view raw, Quoted());
      if (!IsValidUtf8(raw)) return Error("invalid UTF-8 label value");
      std::string value = Unescape(raw, /*quotes=*/true);
      // Summaries' quantiles and histograms' buckets in one form ("1" and
      // "1.0" are one series), as Prometheus writes them.
      if ((current_type_ == "summary" && label == "quantile") || (current_type_ == "histogram" && label == "le")) {
        if (auto f = ParseValue(value)) value = FormatOpenMetricsFloat(*f);
      }
      sample->labels.push_back({std::move(label), std::move(value)});
      SkipBlanks();
      if (Peek() == ',') ++pos_;
    }
  }

  Status ParseSample() {
    ScrapedSample sample;
    std::optional<std::string> name;
    if (Peek() != '{') name = std::string(Name(IsMetricNameStart, IsMetricNameChar));
    SkipBlanks();
    if (Peek() == '{') RETURN_NOT_OK(ParseLabels(&sample, &name));
    if (!name.has_value()) return Error("metric name not set");
    sample.labels.insert(sample.labels.begin(), {std::string(model::kMetricNameLabel), std::move(*name)});
    SkipBlanks();
    const size_t value_start = pos_;
    while (!AtEnd() && b_[pos_] != '{' && b_[pos_] != '\n' && !IsBlank(b_[pos_])) ++pos_;
    const std::string_view value = b_.substr(value_start, pos_ - value_start);
    if (value.empty()) return Error("expected value after metric");
    auto parsed = ParseValue(value);
    if (!parsed) return Error("invalid value \"" + std::string(value) + "\"");
    sample.value = std::isnan(*parsed) ? model::NormalNaN() : *parsed;
    SkipBlanks();
    if (IsDigit(Peek())) {
      const size_t ts_start = pos_;
      while (IsDigit(Peek())) ++pos_;
      int64_t ts = 0;
      const auto [end, ec] = std::from_chars(b_.data() + ts_start, b_.data() + pos_, ts);
      if (ec != std::errc()) return Error("invalid timestamp");
      sample.timestamp_ms = ts;
      SkipBlanks();
      if (!AtEnd() && Peek() != '\n') return Error("expected next entry after timestamp");
    } else if (!AtEnd() && Peek() != '\n') {
      return Error("expected timestamp or new record");
    }
    if (!AtEnd()) NextLine();
    out_.samples.push_back(std::move(sample));
    return Status::OK();
  }

  std::string_view b_;
  size_t pos_ = 0;
  size_t line_ = 1;
  Exposition out_;
  std::map<std::string, size_t, std::less<>> family_index_;
  // The type of the last TYPE line, whatever its family (as Prometheus).
  std::string current_type_;
};

}  // namespace

std::optional<double> ParseValue(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    i = 1;
  }
  const std::string_view rest = s.substr(i);
  if (EqualsIgnoreCase(rest, "inf") || EqualsIgnoreCase(rest, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (i == 0 && EqualsIgnoreCase(rest, "nan")) return std::numeric_limits<double>::quiet_NaN();
  // Decimal only: digits with at most one point (one digit at least), then
  // an optional exponent.
  size_t digits = 0;
  bool point = false;
  for (; i < s.size() && (IsDigit(s[i]) || (s[i] == '.' && !point)); ++i) {
    if (s[i] == '.') {
      point = true;
    } else {
      ++digits;
    }
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t exponent_start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == exponent_start) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const std::string copy(s);
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  if (std::isinf(value)) return std::nullopt;  // past the largest double: Go's ErrRange
  return value;
}

std::string FormatOpenMetricsFloat(double f) {
  if (f == 1) return "1.0";
  if (f == 0) return "0.0";
  if (f == -1) return "-1.0";
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  // The shortest digits that read back as f, then Go's %g: an exponent
  // below -4 or from 6 up is written as one.
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(end - buf));
  const size_t e = sci.find('e');
  const bool negative = sci[0] == '-';
  std::string digits;
  for (char c : sci.substr(negative ? 1 : 0, e - (negative ? 1 : 0))) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exponent);
  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 6) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exponent < 0 ? "e-" : "e+";
    const int magnitude = std::abs(exponent);
    if (magnitude < 10) out += "0";
    out += std::to_string(magnitude);
    return out;
  }
  if (exponent < 0) {
    out += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else if (static_cast<size_t>(exponent) + 1 >= digits.size()) {
    out += digits + std::string(static_cast<size_t>(exponent) + 1 - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(exponent) + 1) + "." + digits.substr(static_cast<size_t>(exponent) + 1);
  }
  if (out.find('.') == std::string::npos) out += ".0";
  return out;
}

Result<Exposition> ParsePrometheusText(std::string_view body) { return TextParser(body).Parse(); }

}  // namespace mytsdb::scrape
