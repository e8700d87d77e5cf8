// Merging lists of series that are each in file order (SeriesFileOrder,
// parquet_writer.h) into one list in that order, each series once: the
// series of several files being compacted, without copying every series'
// labels to sort them (the catalog compares them where it holds them).
//
// Private to the cold module.
#pragma once

#include <functional>
#include <vector>

#include "cold/series_id.h"

namespace mytsdb::cold {

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
