// Aggregation groups and their timers (dispatch.Dispatcher of Alertmanager
// 0.25), as a deterministic core that the caller drives with the time:
// Insert routes an alert to its groups (one per route and value of the
// route's group_by labels), TakeDue hands out the groups whose timer has
// run out with the alerts to notify, and Done tells how it went.
//
// A new group's first flush comes group_wait after it was created (at
// once if an alert in it started more than group_wait ago and the group has
// not flushed yet), later ones group_interval after the previous one. A
// group flushes again only once the previous flush is Done; after a
// successful one, the resolved alerts it carried are dropped unless they
// changed meanwhile.
#pragma once

#include <absl/time/time.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alertmanager/alert.h"
#include "alertmanager/route.h"

namespace mytsdb::alertmanager {

// What the notification pipeline needs to know about a group.
struct GroupContext {
  std::string group_key;  // route key + ":" + group labels, as the webhook shows it
  model::Labels group_labels;
  const Route* route = nullptr;
  absl::Time now;
};

struct Flush {
  uint64_t group_id = 0;
  GroupContext context;
  std::vector<Alert> alerts;  // sorted; unresolved alerts have no end
};

// A group as the API lists it.
struct GroupView {
  model::Labels labels;
  std::string receiver;
  const Route* route = nullptr;
  std::vector<Alert> alerts;
};

class Dispatcher {
 public:
  // `root` must outlive the dispatcher.
  explicit Dispatcher(const Route* root) : root_(root) {}

  void Insert(const Alert& alert, absl::Time now);
  std::vector<Flush> TakeDue(absl::Time now);
  void Done(const Flush& flush, bool ok);
  // The earliest time a group is due (InfiniteFuture when none).
  absl::Time NextDue() const;
  // Drops the groups that hold no alert and are not flushing.
  void Cleanup();

  std::vector<GroupView> Groups() const;
  size_t group_count() const { return groups_.size(); }

 private:
  struct Group {
    uint64_t id = 0;
    const Route* route = nullptr;
    std::string route_key;
    model::Labels labels;
    std::map<uint64_t, Alert> alerts;
    absl::Time next;
    bool has_flushed = false;
    bool flushing = false;
  };

  const Route* root_;
  uint64_t next_id_ = 1;
  // By route and group-label fingerprint.
  std::map<std::pair<const Route*, uint64_t>, Group> groups_;
  std::map<uint64_t, std::pair<const Route*, uint64_t>> by_id_;
};

}  // namespace mytsdb::alertmanager
