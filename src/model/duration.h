// Prometheus's model.Duration: units y, w, d, h, m, s and ms, each at most
// once and from the largest down ("1h30m", "500ms"), or "0". Used by
// PromQL and by every configuration file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mytsdb::model {

// Milliseconds; "not a valid duration string: ..." or "duration out of
// range: ..." as Prometheus words them.
Result<int64_t> ParseDuration(std::string_view s);

// As model.Duration.String(): "0s", "15s", "1m30s", "1d", "2w" (years and
// weeks only when exact, as "90d" reads better than "12w6d").
std::string FormatDuration(int64_t ms);

}  // namespace mytsdb::model
