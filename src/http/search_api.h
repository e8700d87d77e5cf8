// GET /api/v1/search (issue 15; docs/API.md): metrics ranked for a
// question in words, with their type, unit, HELP, series count, top label
// values and a suggested query.
//
//   q        the question (required, at most 1024 bytes)
//   limit    results, 1-100 (default 10)
//   type     counter, gauge, histogram, gaugehistogram, summary, info,
//            stateset or unknown
//   match[]  series selectors; a metric is kept if one of its series
//            matches one (repeatable)
//   mode     hybrid (default), semantic or lexical
//
// GET /api/v1/search/embedding?q= gives the question's embedding (model,
// dimension, the floats), so that another engine ranks the vectors' table
// (DATA/search/vectors) as the server does.
//
// Any other parameter, or a bad value, is a 400 naming it. While the
// index is still being built, the answer carries a warning saying how far
// it got.
#pragma once

#include <functional>
#include <string>

#include "http/server.h"

namespace mytsdb::search {
class SearchService;
}  // namespace mytsdb::search

namespace mytsdb::http {

// `get` returns the service, or null with *why_not saying why search is
// unavailable (a 503); it must outlive the server.
void AddSearchApi(Server* server, std::function<search::SearchService*(std::string* why_not)> get);

}  // namespace mytsdb::http
