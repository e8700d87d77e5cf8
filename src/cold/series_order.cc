#include "cold/series_order.h"

#include <algorithm>
#include <optional>

namespace mytsdb::cold {

int CompareInFileOrder(const model::LabelSets& sets, size_t a, size_t b) {
  std::string_view ma = sets.metric_name(a), mb = sets.metric_name(b);
  if (ma != mb) return ma < mb ? -1 : 1;
  std::weak_ordering order = sets.Compare(a, b);
  return order < 0 ? -1 : order > 0 ? 1 : 0;
}

void AddLabelNames(const model::LabelSets& sets, size_t i, std::vector<std::string>* names) {
  sets.ForEach(i, [&](std::string_view name, std::string_view) {
    if (name == model::kMetricNameLabel) return;
    auto it = std::lower_bound(names->begin(), names->end(), name);
    if (it == names->end() || *it != name) names->emplace(it, name);
  });
}

std::vector<ColdSeriesId> MergeSeriesRuns(const std::vector<std::vector<ColdSeriesId>>& runs,
                                          const SeriesCompare& compare) {
  auto before = [&](ColdSeriesId a, ColdSeriesId b) { return a != b && compare(a, b) < 0; };
  size_t longest = 0;
  for (const auto& run : runs) longest = std::max(longest, run.size());
  std::vector<ColdSeriesId> out;
  out.reserve(longest);
  std::vector<size_t> pos(runs.size(), 0);
  bool ordered = true;
  for (;;) {
    std::optional<ColdSeriesId> next;
    for (size_t r = 0; r < runs.size(); ++r) {
      if (pos[r] == runs[r].size()) continue;
      ColdSeriesId id = runs[r][pos[r]];
      if (!next || before(id, *next)) next = id;
    }
    if (!next) break;
    for (size_t r = 0; r < runs.size(); ++r) {
      if (pos[r] < runs[r].size() && runs[r][pos[r]] == *next) ++pos[r];
    }
    // Strictly after the previous one, or the premise does not hold.
    ordered = ordered && (out.empty() || before(out.back(), *next));
    out.push_back(*next);
  }
  if (!ordered) {
    std::sort(out.begin(), out.end(), [&](ColdSeriesId a, ColdSeriesId b) {
      int c = a == b ? 0 : compare(a, b);
      return c != 0 ? c < 0 : a < b;
    });
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

}  // namespace mytsdb::cold
