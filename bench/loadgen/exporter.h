// A fake exporter for the scraping benchmark: one HTTP server that answers
// /metrics?target=NAME with `series` series in Prometheus's text format,
// as many targets as scrapers ask for (each target a different query
// string, so one port serves them all). Counters grow by the second, so
// every scrape brings new values; the body of a target is the same for
// every scraper at a given second.
#pragma once

#include <string>

namespace mytsdb::bench {

// The body for `target` at `unix_seconds`.
std::string ExporterBody(const std::string& target, int series, long long unix_seconds);

// Serves until killed; prints "exporter listening on HOST:PORT" first.
int RunExporter(const std::string& host, int port, int series, int threads);

}  // namespace mytsdb::bench
