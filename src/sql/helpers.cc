#include "sql/helpers.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "duckdb.hpp"
#include "duckdb/function/scalar_function.hpp"
#include "duckdb/parser/parsed_data/create_scalar_function_info.hpp"
#include "promql/histogram.h"

namespace mytsdb::sql {

namespace {

using duckdb::idx_t;

// An `le` label's value as PromQL's histogram_quantile reads it
// (functions.cc: "+Inf", "0.5", "1e3"; nothing else around the number).
std::optional<double> ParseUpperBound(std::string_view s) {
  const std::string text(s);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])) ||
      end != text.c_str() + text.size()) {
    return std::nullopt;
  }
  return v;
}

// histogram_quantile(q, le LIST, counts LIST): NULL where a list is NULL or
// their lengths differ; buckets whose bound does not parse are left out,
// as PromQL leaves out series whose `le` does not parse.
template <bool kBoundsAreText>
void HistogramQuantile(duckdb::DataChunk& args, duckdb::ExpressionState&, duckdb::Vector& result) {
  const idx_t count = args.size();
  duckdb::UnifiedVectorFormat q_format, le_format, counts_format, le_child, counts_child;
  args.data[0].ToUnifiedFormat(count, q_format);
  args.data[1].ToUnifiedFormat(count, le_format);
  args.data[2].ToUnifiedFormat(count, counts_format);
  auto& le_entries = duckdb::ListVector::GetEntry(args.data[1]);
  auto& count_entries = duckdb::ListVector::GetEntry(args.data[2]);
  le_entries.ToUnifiedFormat(duckdb::ListVector::GetListSize(args.data[1]), le_child);
  count_entries.ToUnifiedFormat(duckdb::ListVector::GetListSize(args.data[2]), counts_child);
  const auto* qs = duckdb::UnifiedVectorFormat::GetData<double>(q_format);
  const auto* le_lists = duckdb::UnifiedVectorFormat::GetData<duckdb::list_entry_t>(le_format);
  const auto* count_lists = duckdb::UnifiedVectorFormat::GetData<duckdb::list_entry_t>(counts_format);
  const auto* counts = duckdb::UnifiedVectorFormat::GetData<double>(counts_child);

  result.SetVectorType(duckdb::VectorType::FLAT_VECTOR);
  auto* out = duckdb::FlatVector::GetData<double>(result);
  auto& validity = duckdb::FlatVector::Validity(result);
  std::vector<std::pair<double, double>> buckets;
  for (idx_t r = 0; r < count; ++r) {
    const idx_t qi = q_format.sel->get_index(r), li = le_format.sel->get_index(r),
                ci = counts_format.sel->get_index(r);
    if (!q_format.validity.RowIsValid(qi) || !le_format.validity.RowIsValid(li) ||
        !counts_format.validity.RowIsValid(ci) || le_lists[li].length != count_lists[ci].length) {
      validity.SetInvalid(r);
      continue;
    }
    buckets.clear();
    for (idx_t k = 0; k < le_lists[li].length; ++k) {
      const idx_t le_index = le_child.sel->get_index(le_lists[li].offset + k);
      const idx_t count_index = counts_child.sel->get_index(count_lists[ci].offset + k);
      if (!le_child.validity.RowIsValid(le_index) || !counts_child.validity.RowIsValid(count_index)) {
        continue;
      }
      std::optional<double> bound;
      if constexpr (kBoundsAreText) {
        const auto s = duckdb::UnifiedVectorFormat::GetData<duckdb::string_t>(le_child)[le_index];
        bound = ParseUpperBound(std::string_view(s.GetData(), s.GetSize()));
      } else {
        bound = duckdb::UnifiedVectorFormat::GetData<double>(le_child)[le_index];
      }
      if (bound) buckets.emplace_back(*bound, counts[count_index]);
    }
    std::sort(buckets.begin(), buckets.end());
    promql::Monotonicity mono;
    out[r] = promql::BucketQuantile(qs[qi], buckets, &mono);
  }
  if (args.AllConstant()) result.SetVectorType(duckdb::VectorType::CONSTANT_VECTOR);
}

// Per series and bucket of `width` ending at start + k * width (k >= 1, up
// to `end`): the sum of the increases between consecutive samples whose
// later sample is in (bucket end - width, bucket end], where a decrease is
// a counter reset and counts the new value (PromQL's rule). The first
// sample of a bucket pairs with the last one before it (if within one
// width), so that the buckets of a series add up to its whole increase.
constexpr const char* kCounterIncrease = R"sql(
CREATE MACRO counter_increase(metric_name, width, start_ts, end_ts) AS TABLE
SELECT series_id, any_value(metric) AS metric, any_value(labels) AS labels, bucket_end AS ts,
       sum(CASE WHEN value >= prev THEN value - prev ELSE value END) AS increase,
       sum(CASE WHEN value >= prev THEN value - prev ELSE value END) / epoch(width) AS rate
FROM (
  SELECT series_id, metric, labels, ts, value, prev,
         start_ts + to_milliseconds(CAST(ceil((epoch_ms(ts) - epoch_ms(start_ts)) / (epoch(width) * 1000))
                                         AS BIGINT) * CAST(epoch(width) * 1000 AS BIGINT)) AS bucket_end
  FROM (
    SELECT series_id, metric, labels, ts, value,
           lag(value) OVER (PARTITION BY series_id ORDER BY ts) AS prev
    FROM samples
    WHERE metric = metric_name AND ts > start_ts - width AND ts <= end_ts AND NOT isnan(value))
  WHERE ts > start_ts AND prev IS NOT NULL)
GROUP BY series_id, bucket_end
)sql";

}  // namespace

// pg_catalog.pg_get_userbyid(oid): the owner's name of a catalog object,
// which psql's \d, \dv and \dn print; DuckDB has no users, everything
// is MyTSDB's.
void UserById(duckdb::DataChunk&, duckdb::ExpressionState&, duckdb::Vector& result) {
  result.Reference(duckdb::Value("mytsdb"));
}

Status RegisterHelpers(duckdb::Connection& con) {
  try {
    con.BeginTransaction();
    duckdb::CreateScalarFunctionInfo user_by_id(
        duckdb::ScalarFunction("pg_get_userbyid", {duckdb::LogicalType::BIGINT}, duckdb::LogicalType::VARCHAR,
                               UserById));
    user_by_id.schema = "pg_catalog";
    con.context->RegisterFunction(user_by_id);
    duckdb::ScalarFunctionSet quantile("histogram_quantile");
    quantile.AddFunction(duckdb::ScalarFunction(
        {duckdb::LogicalType::DOUBLE, duckdb::LogicalType::LIST(duckdb::LogicalType::VARCHAR),
         duckdb::LogicalType::LIST(duckdb::LogicalType::DOUBLE)},
        duckdb::LogicalType::DOUBLE, HistogramQuantile<true>));
    quantile.AddFunction(duckdb::ScalarFunction(
        {duckdb::LogicalType::DOUBLE, duckdb::LogicalType::LIST(duckdb::LogicalType::DOUBLE),
         duckdb::LogicalType::LIST(duckdb::LogicalType::DOUBLE)},
        duckdb::LogicalType::DOUBLE, HistogramQuantile<false>));
    duckdb::CreateScalarFunctionInfo info(std::move(quantile));
    con.context->RegisterFunction(info);
    con.Commit();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("SQL: cannot register histogram_quantile: ") + e.what());
  }
  auto created = con.Query(kCounterIncrease);
  if (created->HasError()) return Status::Internal("SQL: cannot create counter_increase: " + created->GetError());
  return Status::OK();
}

}  // namespace mytsdb::sql
