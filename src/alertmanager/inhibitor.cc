#include "alertmanager/inhibitor.h"

namespace mytsdb::alertmanager {

void Inhibitor::Observe(const Alert& alert) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (MatchesAll(rules_[i].source_matchers, alert.labels)) sources_[i][alert.Fingerprint()] = alert;
  }
}

std::optional<uint64_t> Inhibitor::Mutes(const model::Labels& labels, absl::Time now) const {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < rules_.size(); ++i) {
    const InhibitRule& rule = rules_[i];
    if (!MatchesAll(rule.target_matchers, labels)) continue;
    // An alert on both sides is not muted by sources that are targets too.
    const bool two_sided = MatchesAll(rule.source_matchers, labels);
    for (const auto& [fp, source] : sources_[i]) {
      if (source.ResolvedAt(now)) continue;
      bool equal = true;
      for (const std::string& name : rule.equal) {
        if (source.labels.Get(name) != labels.Get(name)) {
          equal = false;
          break;
        }
      }
      if (!equal) continue;
      if (two_sided && MatchesAll(rule.target_matchers, source.labels)) continue;
      return fp;
    }
  }
  return std::nullopt;
}

void Inhibitor::GarbageCollect(absl::Time now) {
  std::lock_guard lock(mu_);
  for (auto& cache : sources_) {
    std::erase_if(cache, [&](const auto& entry) { return entry.second.ResolvedAt(now); });
  }
}

}  // namespace mytsdb::alertmanager
