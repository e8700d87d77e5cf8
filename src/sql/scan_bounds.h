// ScanBounds: what a scan of MyTSDB's tables must read at least, taken from
// the filters of a SQL query.
//
// DuckDB hands a table function the filters above it (pushdown_complex_filter);
// the ones that name the metric, a label or the time become matchers and a
// time range, so the scan reads through the same index and page pruning as
// PromQL. The filters stay in DuckDB's plan and are applied to every row
// after the scan: the bounds only have to hold a superset of the rows they
// keep, never exactly those.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "model/labels.h"
#include "model/matcher.h"
#include "model/sample.h"

namespace duckdb {
class ClientContext;
class Expression;
}  // namespace duckdb

namespace mytsdb::sql {

struct ScanBounds {
  model::Matchers matchers;  // all must match
  model::TimeRange range;    // inclusive, in milliseconds
  bool nothing = false;      // the filters contradict each other
};

// What a column of the scanned table holds, for the filters on it.
struct ColumnRole {
  enum Kind { kOther, kMetric, kTime, kLabel } kind = kOther;
  std::string label;  // for kLabel: the label's name
};

// Narrows *bounds by `filter`, a filter over the scan's columns, where
// `column_role(i)` says what the scan's column i holds (i as DuckDB binds
// it: an index into the scan's column ids) and `table_index` is the scan's
// table index. Parts of the filter it does not understand change nothing.
void NarrowBounds(duckdb::ClientContext& context, const duckdb::Expression& filter,
                  uint64_t table_index, const std::function<ColumnRole(uint64_t)>& column_role,
                  ScanBounds* bounds);

}  // namespace mytsdb::sql
