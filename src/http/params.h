// Parsing of the Prometheus HTTP API's common parameters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/matcher.h"
#include "model/sample.h"

namespace mytsdb::http {

// Times beyond ±2^62 ms (146 million years) are refused: the engine adds
// durations to them, which must not overflow.
inline constexpr int64_t kMaxTimeParamMs = int64_t{1} << 62;

// A time parameter as Prometheus accepts it: Unix seconds with an optional
// fraction ("1700000000.123") or RFC 3339 ("2023-11-14T22:13:20.123Z").
// Returns milliseconds. InvalidArgument names the parameter.
Result<int64_t> ParseTimeParam(std::string_view name, std::string_view value);

// Durations (step, timeout, lookback_delta) up to 2^62 ms: added to a time
// within ±2^62 ms they cannot overflow.
inline constexpr int64_t kMaxDurationMs = int64_t{1} << 62;

// A duration parameter: seconds as a float ("15", "0.5") or a Prometheus
// duration ("15s", "1m30s"), in milliseconds. InvalidArgument names it.
Result<int64_t> ParseDurationParam(const char* name, const std::string& value);

// start/end parameters; absent ones are open-ended.
Result<model::TimeRange> ParseTimeRange(std::string_view start, std::string_view end);

// The `limit` parameter: a non-negative integer, 0 (or absent) for none.
Result<size_t> ParseLimitParam(std::string_view value);
// Parses every match[] selector.
Result<std::vector<model::Matchers>> ParseMatchParams(const std::vector<std::string>& values);

// Undoes Prometheus's "U__" escaping of label names in URL paths
// (model.ValueEncodingEscaping): "U__http_2e_method" -> "http.method",
// "__" -> "_". Names without the prefix are returned as they are.
Result<std::string> UnescapeLabelName(std::string_view name);

}  // namespace mytsdb::http
