// Prometheus's scrape target APIs (issue 16; docs/API.md), with its shapes:
//
//   GET /api/v1/targets           activeTargets, droppedTargets and
//                                 droppedTargetCounts; `state` (active,
//                                 dropped, any) and `scrapePool` filter
//   GET /api/v1/targets/metadata  TYPE, HELP and UNIT per target;
//                                 `match_target` (a label selector),
//                                 `metric`, `limit`
//   GET /api/v1/scrape_pools      the jobs' names
#pragma once

#include <functional>

#include "http/server.h"

namespace mytsdb::scrape {
class ScrapeManager;
}  // namespace mytsdb::scrape

namespace mytsdb::http {

// `get` returns the scrape manager, or null while the server starts (the
// lists are then empty); it must outlive the server.
void AddTargetsApi(Server* server, std::function<const scrape::ScrapeManager*()> get);

}  // namespace mytsdb::http
