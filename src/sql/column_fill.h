// Writing label values into DuckDB vectors, shared by the table functions:
// a value is stored once per run of rows of one series.
#pragma once

#include <algorithm>
#include <string_view>

#include "duckdb.hpp"
#include "model/labels.h"

namespace mytsdb::sql {

// `value` into rows [from, to) of a VARCHAR vector; "" (a label the series
// lacks) as NULL.
inline void FillString(duckdb::Vector& vector, duckdb::idx_t from, duckdb::idx_t to,
                       std::string_view value) {
  if (value.empty()) {
    auto& validity = duckdb::FlatVector::Validity(vector);
    for (duckdb::idx_t r = from; r < to; ++r) validity.SetInvalid(r);
    return;
  }
  const duckdb::string_t s = duckdb::StringVector::AddString(vector, value.data(), value.size());
  auto* data = duckdb::FlatVector::GetData<duckdb::string_t>(vector);
  std::fill(data + from, data + to, s);
}

// The MAP of a series' labels but the metric name into rows [from, to) of a
// MAP(VARCHAR, VARCHAR) vector: one list of entries, which the rows share.
// `for_each_label(fn)` calls fn(name, value) for each label.
template <typename ForEachLabel>
void FillLabelMap(duckdb::Vector& vector, duckdb::idx_t from, duckdb::idx_t to,
                  ForEachLabel&& for_each_label) {
  const duckdb::idx_t offset = duckdb::ListVector::GetListSize(vector);
  duckdb::idx_t length = 0;
  for_each_label([&](std::string_view name, std::string_view) {
    if (name != model::kMetricNameLabel) ++length;
  });
  duckdb::ListVector::Reserve(vector, offset + length);
  auto& entries = duckdb::ListVector::GetEntry(vector);
  auto& keys = *duckdb::StructVector::GetEntries(entries)[0];
  auto& values = *duckdb::StructVector::GetEntries(entries)[1];
  auto* key_data = duckdb::FlatVector::GetData<duckdb::string_t>(keys);
  auto* value_data = duckdb::FlatVector::GetData<duckdb::string_t>(values);
  duckdb::idx_t k = offset;
  for_each_label([&](std::string_view name, std::string_view value) {
    if (name == model::kMetricNameLabel) return;
    key_data[k] = duckdb::StringVector::AddString(keys, name.data(), name.size());
    value_data[k] = duckdb::StringVector::AddString(values, value.data(), value.size());
    ++k;
  });
  duckdb::ListVector::SetListSize(vector, offset + length);
  auto* lists = duckdb::FlatVector::GetData<duckdb::list_entry_t>(vector);
  std::fill(lists + from, lists + to, duckdb::list_entry_t(offset, length));
}

}  // namespace mytsdb::sql
