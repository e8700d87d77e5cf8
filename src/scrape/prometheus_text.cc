#include "scrape/exposition.h"

#include <charconv>
#include <cmath>
#include <map>

#include "model/sample.h"
#include "scrape/lexing.h"

namespace mytsdb::scrape {

namespace {

using namespace lexing;

class TextParser : public BodyReader {
 public:
  explicit TextParser(std::string_view body) : BodyReader(body) {}

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
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(b_[pos_])) ++pos_;
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
      if (!model::IsValidUtf8(text)) return Error("help text is not valid UTF-8");
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
      if (!model::IsValidUtf8(raw)) return Error("invalid UTF-8 label value");
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

  // The type of the last TYPE line, whatever its family (as Prometheus).
  std::string current_type_;
};

}  // namespace

Result<Exposition> ParsePrometheusText(std::string_view body) { return TextParser(body).Parse(); }

}  // namespace mytsdb::scrape
