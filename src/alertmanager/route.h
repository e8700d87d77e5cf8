// Alertmanager's routing tree (config.Route and dispatch.Route of 0.25):
// the `route` section of its configuration, decoded and checked, and the
// depth-first search that gives the routes an alert goes to.
//
// Each route takes its options from its parent unless it sets them
// (receiver, group_by, group_wait 30s, group_interval 5m, repeat_interval
// 4h at the root); mute_time_intervals and active_time_intervals are the
// route's own. An alert matches a route when it matches all its matchers
// (`matchers`, and the legacy `match` and `match_re`); it goes to the
// first matching child (and the ones after it while the matched children
// have `continue: true`), or to the route itself when no child matches.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "alertmanager/matcher.h"
#include "common/result.h"
#include "model/labels.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace mytsdb::alertmanager {

struct RouteOptions {
  std::string receiver;
  std::set<std::string> group_by;
  bool group_by_all = false;  // group_by: ['...']
  int64_t group_wait_ms = 30'000;
  int64_t group_interval_ms = 300'000;
  int64_t repeat_interval_ms = 4 * 3'600'000;
  std::vector<std::string> mute_time_intervals;
  std::vector<std::string> active_time_intervals;
};

class Route {
 public:
  // The tree of a configuration's `route`, checked as Alertmanager checks
  // it (the root needs a receiver and takes no matchers nor `continue`;
  // no zero group_interval or repeat_interval; group_by without
  // duplicates, and `...` alone), with its messages.
  static Result<std::unique_ptr<Route>> FromYaml(const YAML::Node& node);

  const RouteOptions& options() const { return options_; }
  // Alertmanager's Route.Key(): the parent's key, "/", and this route's
  // matchers ("{}/{severity=\"page\"}"); part of every group key.
  const std::string& key() const { return key_; }
  const Matchers& matchers() const { return matchers_; }  // sorted
  bool continue_matching() const { return continue_; }
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

  // The routes an alert with `labels` goes to, in order (none if it does
  // not match this route).
  std::vector<const Route*> Match(const model::Labels& labels) const;

  // The tree as `amtool config routes show` prints it.
  std::string TreeString() const;

 private:
  static Result<std::unique_ptr<Route>> Make(const YAML::Node& node, const RouteOptions& parent,
                                             const std::string* parent_key);
  void Match(const model::Labels& labels, std::vector<const Route*>* out) const;

  RouteOptions options_;
  std::string key_;
  Matchers matchers_;
  bool continue_ = false;
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace mytsdb::alertmanager
