// OpenMetrics 1.0 as Prometheus reads it (model/textparse/openmetricslex.l
// and openmetricsparse.go): single spaces between tokens, no blank lines,
// no comments other than HELP, TYPE and UNIT, a body that ends with
// `# EOF`, timestamps in seconds, exemplars checked and then dropped.
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>

#include "model/sample.h"
#include "scrape/exposition.h"
#include "scrape/lexing.h"

namespace mytsdb::scrape {

namespace {

using namespace lexing;

// Go's int64(seconds * 1000): truncated, and (as on amd64) the smallest
// int64 when out of range, which the append path then refuses.
int64_t SecondsToMillis(double seconds) {
  const double ms = seconds * 1000.0;
  if (!(ms > -9.223372036854775808e18 && ms < 9.223372036854775808e18)) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(ms);
}

class OpenMetricsParser : public BodyReader {
 public:
  explicit OpenMetricsParser(std::string_view body) : BodyReader(body) {}

  Result<Exposition> Parse() {
    for (;;) {
      if (AtEnd()) return Error("data does not end with # EOF");
      const char c = b_[pos_];
      if (c == '#') {
        if (b_.substr(pos_, 2) != "# ") return Error("expected a space after '#'");
        pos_ += 2;
        const std::string_view rest = b_.substr(pos_);
        if (rest.substr(0, 3) == "EOF") {
          pos_ += 3;
          if (Peek() == '\n') ++pos_;
          if (!AtEnd()) return Error("unexpected data after # EOF");
          return std::move(out_);
        }
        const std::string_view keyword = rest.substr(0, 4);
        if ((keyword == "HELP" || keyword == "TYPE" || keyword == "UNIT") && rest.size() > 4 && rest[4] == ' ') {
          pos_ += 5;
          RETURN_NOT_OK(ParseMetadata(keyword));
          continue;
        }
        return Error("expected HELP, TYPE, UNIT or EOF after '# '");
      }
      if (c == '{' || IsMetricNameStart(c)) {
        RETURN_NOT_OK(ParseSample());
        continue;
      }
      if (c == '\n') return Error("blank lines are not allowed");
      return Error("expected a metric name, '{' or '#'");
    }
  }

 private:

  // A quoted string at pos_: its text between the quotes, escapes kept.
  // Names may span lines; label values and exemplars' strings may not, and
  // exemplars' strings hold no NUL.
  Result<std::string_view> Quoted(bool newlines_allowed, bool exemplar_string = false) {
    const size_t start = ++pos_;
    while (!AtEnd()) {
      const char c = b_[pos_];
      if (c == '"') {
        ++pos_;
        return b_.substr(start, pos_ - 1 - start);
      }
      if (c == '\\') {
        if (pos_ + 1 >= b_.size() || (!newlines_allowed && b_[pos_ + 1] == '\n')) break;
        if (b_[pos_ + 1] == '\n') ++line_;
        pos_ += 2;
        continue;
      }
      if (c == '\n') {
        if (!newlines_allowed) break;
        ++line_;
      }
      if (c == '\0' && exemplar_string) break;  // as Prometheus's lexer
      ++pos_;
    }
    return Error("unterminated quoted string");
  }

  // A space, then a token up to the next space or newline.
  std::optional<std::string_view> SpacedToken() {
    if (Peek() != ' ' || pos_ + 1 >= b_.size() || b_[pos_ + 1] == ' ' || b_[pos_ + 1] == '\n') return std::nullopt;
    const size_t start = ++pos_;
    while (!AtEnd() && b_[pos_] != ' ' && b_[pos_] != '\n') ++pos_;
    return b_.substr(start, pos_ - start);
  }

  bool AtExemplar() const { return b_.substr(pos_, 4) == " # {"; }

  Status ParseMetadata(std::string_view keyword) {
    std::string_view name;
    if (Peek() == '"') {
      ASSIGN_OR_RETURN(name, Quoted(/*newlines_allowed=*/true));
    } else {
      name = Name(IsMetricNameStart, IsMetricNameChar);
      if (name.empty()) return Error("expected metric name after " + std::string(keyword));
    }
    const size_t newline = b_.find('\n', pos_);
    if (Peek() != ' ' || newline == std::string_view::npos) return Error("expected text in " + std::string(keyword));
    const std::string_view text = b_.substr(pos_ + 1, newline - pos_ - 1);
    pos_ = newline;
    NextLine();
    if (keyword == "TYPE") {
      static constexpr std::string_view kTypes[] = {"counter", "gauge", "histogram", "gaugehistogram",
                                                    "summary", "info",  "stateset",  "unknown"};
      bool known = false;
      for (std::string_view t : kTypes) known = known || t == text;
      if (!known) return Error("invalid metric type \"" + std::string(text) + "\"");
      Family(name).type = std::string(text);
      current_type_ = std::string(text);
    } else if (keyword == "HELP") {
      if (!model::IsValidUtf8(text)) return Error("help text is not valid UTF-8");
      Family(name).help = Unescape(text, /*quotes=*/true);
    } else {
      const bool suffix = text.empty() || (name.size() > text.size() && name.ends_with(text) &&
                                           name[name.size() - text.size() - 1] == '_');
      if (!suffix) {
        return Error("unit \"" + std::string(text) + "\" not a suffix of metric \"" + std::string(name) + "\"");
      }
      Family(name).unit = std::string(text);
    }
    return Status::OK();
  }

  // `{...}` of a sample (which may name the metric with a quoted string)
  // or of an exemplar.
  Status ParseLabels(std::vector<model::Label>* labels, std::optional<std::string>* name, bool exemplar) {
    ++pos_;  // '{'
    for (;;) {
      const char c = Peek();
      if (c == '}') {
        ++pos_;
        return Status::OK();
      }
      std::string label;
      bool quoted = false;
      if (c == '"') {
        ASSIGN_OR_RETURN(std::string_view raw, Quoted(/*newlines_allowed=*/!exemplar, exemplar));
        label = Unescape(raw, /*quotes=*/true);
        quoted = true;
      } else if (IsLabelNameStart(c)) {
        label = std::string(Name(IsLabelNameStart, IsLabelNameChar));
      } else {
        return Error("expected label name");
      }
      if (quoted && (Peek() == ',' || Peek() == '}')) {
        if (exemplar) return Error("expected label name");
        if (name->has_value()) return Error("metric name already set");
        *name = std::move(label);
        if (Peek() == ',') ++pos_;
        continue;
      }
      if (Peek() != '=') return Error("expected equal after label name \"" + label + "\"");
      ++pos_;
      if (Peek() != '"') return Error("expected label value after \"" + label + "=\"");
      ASSIGN_OR_RETURN(std::string_view raw, Quoted(/*newlines_allowed=*/false, exemplar));
      if (!model::IsValidUtf8(raw)) return Error("invalid UTF-8 label value");
      std::string value = Unescape(raw, /*quotes=*/true);
      if (!exemplar &&
          ((current_type_ == "summary" && label == "quantile") || (current_type_ == "histogram" && label == "le"))) {
        if (auto f = ParseValue(value)) value = FormatOpenMetricsFloat(*f);
      }
      labels->push_back({std::move(label), std::move(value)});
      if (Peek() == ',') {
        ++pos_;
      } else if (Peek() != '}') {
        return Error("expected comma or brace close");
      }
    }
  }

  Result<double> Value(const char* after) {
    const auto token = SpacedToken();
    if (!token) return Error(std::string("expected value after ") + after);
    auto parsed = ParseValue(*token);
    if (!parsed) return Error("invalid value \"" + std::string(*token) + "\"");
    return std::isnan(*parsed) ? model::NormalNaN() : *parsed;
  }

  Result<int64_t> Timestamp(std::string_view token, const char* what) {
    auto parsed = ParseValue(token);
    if (!parsed) return Error(std::string("invalid ") + what + " \"" + std::string(token) + "\"");
    if (std::isnan(*parsed) || std::isinf(*parsed)) return Error(std::string("invalid ") + what + " " + std::string(token));
    return SecondsToMillis(*parsed);
  }

  // ` # {labels} value [timestamp]`: checked, then dropped.
  Status ParseExemplar() {
    pos_ += 3;  // " # ", at '{'
    std::vector<model::Label> labels;
    RETURN_NOT_OK(ParseLabels(&labels, nullptr, /*exemplar=*/true));
    RETURN_NOT_OK(Value("exemplar labels").status());
    if (AtEnd()) return Error("data does not end with # EOF");
    if (Peek() == '\n') {
      NextLine();
      return Status::OK();
    }
    const auto token = SpacedToken();
    if (!token) return Error("expected timestamp or new record after exemplar");
    RETURN_NOT_OK(Timestamp(*token, "exemplar timestamp").status());
    if (Peek() != '\n') return Error("expected next entry after exemplar timestamp");
    NextLine();
    return Status::OK();
  }

  Status ParseSample() {
    ScrapedSample sample;
    std::optional<std::string> name;
    if (Peek() != '{') name = std::string(Name(IsMetricNameStart, IsMetricNameChar));
    if (Peek() == '{') RETURN_NOT_OK(ParseLabels(&sample.labels, &name, /*exemplar=*/false));
    if (!name.has_value()) return Error("metric name not set");
    sample.labels.insert(sample.labels.begin(), {std::string(model::kMetricNameLabel), std::move(*name)});
    ASSIGN_OR_RETURN(sample.value, Value("metric"));
    if (AtEnd()) return Error("data does not end with # EOF");
    if (Peek() == '\n') {
      NextLine();
    } else if (AtExemplar()) {
      RETURN_NOT_OK(ParseExemplar());
    } else {
      const auto token = SpacedToken();
      if (!token) return Error("expected timestamp or new record");
      ASSIGN_OR_RETURN(int64_t ts, Timestamp(*token, "timestamp"));
      sample.timestamp_ms = ts;
      if (Peek() == '\n') {
        NextLine();
      } else if (AtExemplar()) {
        RETURN_NOT_OK(ParseExemplar());
      } else {
        return Error("expected next entry after timestamp");
      }
    }
    out_.samples.push_back(std::move(sample));
    return Status::OK();
  }

  std::string current_type_;  // of the last TYPE line, whatever its family
};

}  // namespace

Result<Exposition> ParseOpenMetrics(std::string_view body) { return OpenMetricsParser(body).Parse(); }

}  // namespace mytsdb::scrape
