// The PromQL parser: query text -> syntax tree (ast.h), with Prometheus 3's
// grammar and type rules (promql/parser in Prometheus): selectors with all
// matcher types, range and subquery selectors, offset and @ (with start() and
// end()), binary operators with their precedence and associativity, bool,
// on/ignoring, group_left/group_right, aggregations with by/without before or
// after the argument, number, duration and string literals, and comments.
//
// Errors are InvalidArgument with Prometheus's shape,
// "1:14: parse error: unexpected <by> in aggregation", so the HTTP layer can
// answer 400 bad_data with them as they are.
#pragma once

#include <string_view>

#include "common/result.h"
#include "promql/ast.h"

namespace mytsdb::promql {

Result<ExprPtr> ParseExpr(std::string_view query);

// Parses a Prometheus duration ("5m", "1h30m", "250ms"); InvalidArgument
// otherwise.
Result<int64_t> ParseDurationMs(std::string_view s);

}  // namespace mytsdb::promql
