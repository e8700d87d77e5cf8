// A scraped body in Prometheus's text format 0.0.4, parsed as Prometheus
// parses it (model/textparse/promparse.go; docs/design/scrape.md lists the
// rules): samples with their labels, value and optional timestamp, and the
// families' TYPE and HELP. Any error fails the whole body, as a scrape is
// all or nothing; the message names the line. The last line needs no
// newline (Prometheus adds one). OpenMetrics comes next.
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
  std::string type;  // counter, gauge, histogram, summary, unknown (untyped)
  std::string help;
};

struct Exposition {
  std::vector<ScrapedSample> samples;
  std::vector<FamilyMetadata> metadata;  // in order of first mention
};

Result<Exposition> ParsePrometheusText(std::string_view body);

// A float as Prometheus writes one in le and quantile labels
// (FormatOpenMetricsFloat): Go's shortest %g, with ".0" added to an
// integer ("1" -> "1.0", 1e6 -> "1e+06", +Inf -> "+Inf").
std::string FormatOpenMetricsFloat(double value);

// A value as Prometheus's parsers read one: Go's ParseFloat (decimal
// floats, Inf and Infinity with a sign, NaN, in any case), without hex
// floats or underscores, and an error past the largest double.
std::optional<double> ParseValue(std::string_view text);

}  // namespace mytsdb::scrape
