// The catalog semantic search ranks (issue 15): one entry per metric
// family that is stored, with its TYPE, HELP and UNIT, the metric names
// that hold it (a histogram's _bucket, _sum and _count), its series count,
// and its labels with a bounded sample of their values, most frequent
// first. Built from a SeriesSelection over both tiers (the cold tier's part
// comes from its series catalog, which reads only the files' name and
// label columns) and the metadata remote write and scrapes sent.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "head/head.h"
#include "storage/series_selection.h"

namespace mytsdb::storage {
class Storage;
}

namespace mytsdb::search {

struct LabelSummary {
  std::string name;
  size_t distinct_values = 0;
  // The most frequent values with their series counts, most frequent first
  // (ties by value), at most CatalogOptions::top_values.
  std::vector<std::pair<std::string, size_t>> top_values;
};

struct MetricEntry {
  // The family's name: the histogram's or summary's base name, else the
  // metric name itself.
  std::string name;
  std::string type = "unknown";  // counter, gauge, histogram, summary, ... as /api/v1/metadata says
  std::string help;
  std::string unit;
  std::vector<std::string> metric_names;  // the names stored, sorted
  size_t series = 0;
  std::vector<LabelSummary> labels;  // by name; not __name__, nor a histogram's le or a summary's quantile
};

struct CatalogOptions {
  size_t top_values = 8;
};

struct Catalog {
  std::vector<MetricEntry> entries;  // by name
  size_t series = 0;                 // over all entries
};

// From the series of `selection` (each once) and the metadata. A name
// joins the family of a histogram, gaugehistogram or summary when its
// metadata says so and the name is the family's plus _bucket, _sum, _count
// or _created; a counter's family "x" (OpenMetrics) takes "x_total".
// Names with no metadata form their own family of type "unknown".
Catalog BuildCatalog(const storage::SeriesSelection& selection, std::span<const head::MetricMetadata> metadata,
                     const CatalogOptions& options = {});

// Every series of `storage`, both tiers.
Catalog BuildCatalog(const storage::Storage& storage, const CatalogOptions& options = {});

}  // namespace mytsdb::search
