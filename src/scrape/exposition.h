// A scraped body in Prometheus's text format 0.0.4 or in OpenMetrics 1.0,
// parsed as Prometheus parses each (model/textparse; docs/design/scrape.md
// lists the rules): samples with their labels, value and optional
// timestamp, and the families' TYPE, HELP and UNIT. Any error fails the
// whole body, as a scrape is all or nothing; the message names the line.
// Which parser a reply needs is chosen from its Content-Type as
// Prometheus 3 chooses (ChooseFormat).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/labels.h"

namespace mytsdb::scrape {

struct ScrapedSample {
  // __name__ and the labels as written (not sorted, not checked for
  // duplicates: the append path validates series as remote write does).
  std::vector<model::Label> labels;
  double value = 0;  // a NaN is Prometheus's NormalNaN (model/sample.h)
  std::optional<int64_t> timestamp_ms;
};

struct FamilyMetadata {
  std::string name;
  std::string type;  // counter, gauge, histogram, summary, unknown (untyped);
                     // OpenMetrics adds gaugehistogram, info and stateset
  std::string help;
  std::string unit;  // OpenMetrics only
};

struct Exposition {
  std::vector<ScrapedSample> samples;
  std::vector<FamilyMetadata> metadata;  // in order of first mention
};

// The text format: the last line needs no newline (Prometheus adds one).
Result<Exposition> ParsePrometheusText(std::string_view body);

// OpenMetrics 1.0: the body must end with `# EOF`. Exemplars are checked
// and dropped; `_created` lines stay series (Prometheus's default).
Result<Exposition> ParseOpenMetrics(std::string_view body);

enum class Format { kPrometheusText, kOpenMetrics };

// The scrape protocols of `scrape_protocols` and `fallback_scrape_protocol`
// that MyTSDB parses, by their configuration names; PrometheusProto (which
// it does not parse) is known so that a configuration can name it.
constexpr std::string_view kPrometheusProto = "PrometheusProto";
bool IsScrapeProtocol(std::string_view protocol);
std::optional<Format> ProtocolFormat(std::string_view protocol);  // nullopt for PrometheusProto

// The Accept header Prometheus 3 sends for `protocols` in order of
// preference (decreasing q, then */*), PrometheusProto left out.
std::string AcceptHeader(const std::vector<std::string>& protocols);

// The parser for a reply's Content-Type, as Prometheus 3 chooses: the
// OpenMetrics or text media type, else `fallback_protocol` (a protocol
// name, or empty) with a warning, else an error in Prometheus's words.
struct FormatChoice {
  Format format = Format::kPrometheusText;
  std::string warning;  // set when the fallback was used
};
Result<FormatChoice> ChooseFormat(std::string_view content_type, std::string_view fallback_protocol);

Result<Exposition> Parse(std::string_view body, Format format);

// A float as Prometheus writes one in le and quantile labels
// (FormatOpenMetricsFloat): Go's shortest %g, with ".0" added to an
// integer ("1" -> "1.0", 1e6 -> "1e+06", +Inf -> "+Inf").
std::string FormatOpenMetricsFloat(double value);

// A value as Prometheus's parsers read one: Go's ParseFloat (decimal
// floats, Inf and Infinity with a sign, NaN, in any case), without hex
// floats or underscores, and an error past the largest double.
std::optional<double> ParseValue(std::string_view text);

}  // namespace mytsdb::scrape
