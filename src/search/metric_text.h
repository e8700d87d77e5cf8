// The words of a metric as search sees them: the text the model embeds
// for a catalog entry, and the terms the lexical score counts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "search/catalog.h"

namespace mytsdb::search {

// A metric or label name split into lower-case words at '_', ':' and where
// lower case turns to upper ("http_request_duration_seconds" -> http,
// request, duration, seconds; "kubeletPLEGLatency" -> kubelet, pleg,
// latency).
std::vector<std::string> NameWords(std::string_view name);

// What the model embeds: the name's words, the type and unit, the HELP
// text and the label names, e.g. "http request duration seconds
// (histogram, seconds). A histogram of request latencies. Labels: code,
// handler, method."
std::string EmbeddingText(const MetricEntry& entry);

// Lower-case runs of letters and digits of free text (HELP, a question),
// names split as NameWords does.
std::vector<std::string> Terms(std::string_view text);

// The query the result suggests, fitting the type: rate() for a counter,
// histogram_quantile() over _bucket for a histogram, the average of a
// summary, the metric itself for a gauge.
std::string SuggestedQuery(const MetricEntry& entry);

}  // namespace mytsdb::search
