// Parser for PromQL series selectors, the `match[]` argument of the metadata
// APIs: `up`, `up{job="api"}`, `{__name__=~"http_.*", code!="200"}`, and
// Prometheus 3's quoted UTF-8 names: `{"http.requests", "k8s.pod"="x"}`.
//
// The full PromQL parser (issue #5) builds on the same lexical rules.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "model/labels.h"
#include "model/matcher.h"

namespace mytsdb::promql {

// Returns the matchers of the selector (a metric name becomes a __name__
// equality matcher). Errors are InvalidArgument with Prometheus-style
// positions: "1:7: parse error: unexpected end of input inside braces".
// As in Prometheus, a selector must contain at least one matcher that does
// not match the empty string.
Result<model::Matchers> ParseSeriesSelector(std::string_view input);

// Unquotes a PromQL string literal ("..." or '...' with Go escapes, or a
// `raw` string). `literal` includes the quotes.
Result<std::string> UnquoteString(std::string_view literal);

}  // namespace mytsdb::promql
