// Inhibition (inhibit.Inhibitor of Alertmanager 0.25): an alert matching a
// rule's target matchers is muted while a firing alert matching its source
// matchers has the same values for the rule's `equal` labels. An alert
// that matches both sides of a rule is not inhibited by itself or by
// another alert that does: the source must not also be a target.
#pragma once

#include <absl/time/time.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "alertmanager/alert.h"
#include "alertmanager/config.h"

namespace mytsdb::alertmanager {

class Inhibitor {
 public:
  explicit Inhibitor(std::vector<InhibitRule> rules) : rules_(std::move(rules)), sources_(rules_.size()) {}

  // Takes note of an alert received (or updated): the source alerts.
  void Observe(const Alert& alert);
  // The fingerprint of a firing source alert that inhibits `labels` at
  // `now`, if any.
  std::optional<uint64_t> Mutes(const model::Labels& labels, absl::Time now) const;
  // Forgets source alerts resolved before `now`.
  void GarbageCollect(absl::Time now);

 private:
  const std::vector<InhibitRule> rules_;
  mutable std::mutex mu_;
  std::vector<std::map<uint64_t, Alert>> sources_;  // per rule, by fingerprint
};

}  // namespace mytsdb::alertmanager
