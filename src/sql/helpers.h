// SQL helpers for what Prometheus's metric types need (docs/SQL.md):
//
//   counter_increase(metric, width, start, end)   table macro: per series
//       and time bucket, the counter's increase (resets handled as PromQL
//       does) and its per-second rate
//   histogram_quantile(q, le, counts)             the q-quantile of one
//       classic histogram from lists of its buckets' upper bounds and
//       cumulative counts, as PromQL's histogram_quantile computes it
//
// and pg_catalog.pg_get_userbyid, the one catalog function psql's listing
// commands (\d, \dv, \dn) need that DuckDB lacks.
#pragma once

#include "common/status.h"

namespace duckdb {
class Connection;
}  // namespace duckdb

namespace mytsdb::sql {

// Adds the helpers to the database of `con` (before the sandbox locks it).
Status RegisterHelpers(duckdb::Connection& con);

}  // namespace mytsdb::sql
