// Merging lists of series that are each in file order (SeriesFileOrder,
// parquet_writer.h) into one list in that order, each series once: the
// series of several files being compacted, without copying every series'
// labels to sort them (the catalog compares them where it holds them).
//
// Private to the cold module.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cold/series_id.h"
#include "model/label_sets.h"

namespace mytsdb::cold {

// SeriesFileOrder of sets a and b of `sets` (by metric name, then by all
// labels), without materializing them: negative, zero or positive.
int CompareInFileOrder(const model::LabelSets& sets, size_t a, size_t b);

// Adds the label names of set i of `sets` but the metric name to *names
// (sorted, each once; few distinct names over many series).
void AddLabelNames(const model::LabelSets& sets, size_t i, std::vector<std::string>* names);

// Negative, zero or positive as series a comes before, with or after b.
using SeriesCompare = std::function<int(ColdSeriesId a, ColdSeriesId b)>;

// The union of `runs`, in `compare`'s order, each id once. Equal ids at the
// heads of several runs (the usual case: files of consecutive blocks hold
// the same series) cost no comparison. A run out of order, or two ids that
// compare equal, break the merge's premise: then the union is sorted
// instead (ties by id), so the result is in order whatever the input.
std::vector<ColdSeriesId> MergeSeriesRuns(const std::vector<std::vector<ColdSeriesId>>& runs,
                                          const SeriesCompare& compare);

}  // namespace mytsdb::cold
