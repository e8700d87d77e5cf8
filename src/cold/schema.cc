#include "cold/schema.h"

namespace mytsdb::cold {

namespace {
bool IsFixed(std::string_view name) {
  return name == kMetricColumn || name == kSeriesIdColumn || name == kTimestampColumn ||
         name == kValueColumn || name == kValueIntColumn || name == kValueDivColumn ||
         name == kDayColumn;
}
}  // namespace

std::string ColumnForLabel(std::string_view name) {
  // Prefixing names that already carry the prefix keeps the mapping
  // reversible: label "label_x" is column "label_label_x".
  if (IsFixed(name) || name.substr(0, kLabelPrefix.size()) == kLabelPrefix) {
    return std::string(kLabelPrefix) + std::string(name);
  }
  return std::string(name);
}

std::string LabelForColumn(std::string_view column) {
  if (IsFixed(column)) return "";
  if (column.substr(0, kLabelPrefix.size()) == kLabelPrefix) {
    return std::string(column.substr(kLabelPrefix.size()));
  }
  return std::string(column);
}

}  // namespace mytsdb::cold
