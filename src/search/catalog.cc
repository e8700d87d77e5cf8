#include "search/catalog.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "ingest/remote_write.h"
#include "model/labels.h"
#include "storage/storage.h"

namespace mytsdb::search {

namespace {

constexpr std::string_view kNameLabel = "__name__";

struct NameStats {
  size_t series = 0;
  // label name -> value -> series
  std::map<std::string, std::unordered_map<std::string, size_t>, std::less<>> values;
};

// Whether a family of `type` stores a metric named family + `suffix`
// (Prometheus's and OpenMetrics' naming).
bool FamilyHasSuffix(ingest::MetricType type, std::string_view suffix) {
  using T = ingest::MetricType;
  switch (type) {
    case T::kHistogram: return suffix == "_bucket" || suffix == "_sum" || suffix == "_count" || suffix == "_created";
    case T::kGaugeHistogram: return suffix == "_bucket" || suffix == "_gsum" || suffix == "_gcount";
    case T::kSummary: return suffix == "_sum" || suffix == "_count" || suffix == "_created";
    case T::kCounter: return suffix == "_total" || suffix == "_created";
    case T::kInfo: return suffix == "_info";
    default: return false;
  }
}

// The family `name` belongs to, given the families with metadata.
std::string FamilyOf(const std::string& name, const std::map<std::string, const head::MetricMetadata*>& families) {
  if (families.count(name)) return name;
  for (std::string_view suffix : {"_bucket", "_sum", "_count", "_created", "_total", "_gsum", "_gcount", "_info"}) {
    if (!name.ends_with(suffix)) continue;
    const std::string family = name.substr(0, name.size() - suffix.size());
    auto it = families.find(family);
    if (it != families.end() && FamilyHasSuffix(static_cast<ingest::MetricType>(it->second->type), suffix)) {
      return family;
    }
  }
  return name;
}

// Labels that every series of the family has by construction.
bool StructuralLabel(const std::string& label, const std::string& type) {
  return (label == "le" && (type == "histogram" || type == "gaugehistogram")) ||
         (label == "quantile" && type == "summary");
}

}  // namespace

Catalog BuildCatalog(const storage::SeriesSelection& selection, std::span<const head::MetricMetadata> metadata,
                     const CatalogOptions& options) {
  std::unordered_map<std::string, NameStats> by_name;
  for (size_t i = 0; i < selection.size(); ++i) {
    const std::string_view name = selection.label(i, kNameLabel);
    if (name.empty()) continue;
    NameStats& stats = by_name[std::string(name)];
    ++stats.series;
    selection.ForEachLabel(i, [&](std::string_view label, std::string_view value) {
      if (label == kNameLabel) return;
      auto it = stats.values.find(label);
      if (it == stats.values.end()) it = stats.values.emplace(std::string(label), std::unordered_map<std::string, size_t>{}).first;
      ++it->second[std::string(value)];
    });
  }

  std::map<std::string, const head::MetricMetadata*> families;
  for (const head::MetricMetadata& m : metadata) families[m.metric_family_name] = &m;

  // family -> (names, merged stats)
  std::map<std::string, std::pair<std::vector<std::string>, NameStats>> grouped;
  for (auto& [name, stats] : by_name) {
    auto& [names, merged] = grouped[FamilyOf(name, families)];
    names.push_back(name);
    merged.series += stats.series;
    for (auto& [label, values] : stats.values) {
      auto& into = merged.values[label];
      for (auto& [value, n] : values) into[value] += n;
    }
  }

  Catalog catalog;
  catalog.entries.reserve(grouped.size());
  for (auto& [family, group] : grouped) {
    auto& [names, stats] = group;
    MetricEntry entry;
    entry.name = family;
    if (auto it = families.find(family); it != families.end()) {
      entry.type = std::string(ingest::MetricTypeName(static_cast<ingest::MetricType>(it->second->type)));
      entry.help = it->second->help;
      entry.unit = it->second->unit;
    }
    std::sort(names.begin(), names.end());
    entry.metric_names = std::move(names);
    entry.series = stats.series;
    catalog.series += stats.series;
    for (auto& [label, values] : stats.values) {
      if (StructuralLabel(label, entry.type)) continue;
      LabelSummary summary;
      summary.name = label;
      summary.distinct_values = values.size();
      std::vector<std::pair<std::string, size_t>> all(values.begin(), values.end());
      const size_t keep = std::min(options.top_values, all.size());
      std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                        [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
      all.resize(keep);
      summary.top_values = std::move(all);
      entry.labels.push_back(std::move(summary));
    }
    catalog.entries.push_back(std::move(entry));
  }
  return catalog;
}

Catalog BuildCatalog(const storage::Storage& storage, const CatalogOptions& options) {
  auto any_name = model::Matcher::Make(model::MatchType::kRegexMatch, std::string(kNameLabel), ".+");
  // A read-only node's catalog: the persisted series (asking the writers
  // for every series would pull their whole heads).
  const storage::SeriesSelection selection = storage.Select({*any_name}, model::TimeRange{},
                                                            storage::Storage::WriterHeads::kSkip);
  const std::vector<head::MetricMetadata> metadata = storage.Metadata();
  return BuildCatalog(selection, metadata, options);
}

}  // namespace mytsdb::search
