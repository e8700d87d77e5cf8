#include "alertmanager/dispatcher.h"

#include <algorithm>

namespace mytsdb::alertmanager {

namespace {

model::Labels GroupLabels(const Alert& alert, const RouteOptions& options) {
  if (options.group_by_all) return alert.labels;
  std::vector<model::Label> out;
  for (const model::Label& l : alert.labels) {
    if (options.group_by.count(l.name)) out.push_back(l);
  }
  return model::Labels::FromSorted(std::move(out));
}

}  // namespace

void Dispatcher::Insert(const Alert& alert, absl::Time now) {
  for (const Route* route : root_->Match(alert.labels)) {
    model::Labels labels = GroupLabels(alert, route->options());
    const auto key = std::make_pair(route, LabelsFingerprint(labels));
    auto it = groups_.find(key);
    if (it == groups_.end()) {
      Group g;
      g.id = next_id_++;
      g.route = route;
      g.route_key = route->key();
      g.labels = std::move(labels);
      g.next = now + absl::Milliseconds(route->options().group_wait_ms);
      by_id_[g.id] = key;
      it = groups_.emplace(key, std::move(g)).first;
    }
    Group& g = it->second;
    g.alerts[alert.Fingerprint()] = alert;
    // An alert that has waited group_wait already is not held back further.
    if (!g.has_flushed && alert.starts_at + absl::Milliseconds(route->options().group_wait_ms) < now) g.next = now;
  }
}

std::vector<Flush> Dispatcher::TakeDue(absl::Time now) {
  std::vector<Flush> out;
  for (auto& [key, g] : groups_) {
    if (g.flushing || g.next > now) continue;
    g.next = now + absl::Milliseconds(g.route->options().group_interval_ms);
    g.has_flushed = true;
    if (g.alerts.empty()) continue;
    Flush f;
    f.group_id = g.id;
    f.context.group_key = g.route_key + ":" + LabelSetString(g.labels);
    f.context.group_labels = g.labels;
    f.context.route = g.route;
    f.context.now = now;
    for (const auto& [fp, alert] : g.alerts) {
      Alert a = alert;
      if (!a.ResolvedAt(now)) a.ends_at = kZeroTime;
      f.alerts.push_back(std::move(a));
    }
    std::stable_sort(f.alerts.begin(), f.alerts.end(), AlertLess);
    g.flushing = true;
    out.push_back(std::move(f));
  }
  return out;
}

void Dispatcher::Done(const Flush& flush, bool ok) {
  auto id = by_id_.find(flush.group_id);
  if (id == by_id_.end()) return;
  Group& g = groups_.at(id->second);
  g.flushing = false;
  if (!ok) return;
  for (const Alert& sent : flush.alerts) {
    if (sent.ends_at == kZeroTime || !sent.ResolvedAt(flush.context.now)) continue;
    auto it = g.alerts.find(sent.Fingerprint());
    if (it != g.alerts.end() && it->second.updated_at == sent.updated_at) g.alerts.erase(it);
  }
}

absl::Time Dispatcher::NextDue() const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [key, g] : groups_) {
    if (!g.flushing) next = std::min(next, g.next);
  }
  return next;
}

void Dispatcher::Cleanup() {
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (it->second.alerts.empty() && !it->second.flushing) {
      by_id_.erase(it->second.id);
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<GroupView> Dispatcher::Groups() const {
  std::vector<GroupView> out;
  for (const auto& [key, g] : groups_) {
    GroupView v;
    v.labels = g.labels;
    v.receiver = g.route->options().receiver;
    v.route = g.route;
    for (const auto& [fp, a] : g.alerts) v.alerts.push_back(a);
    std::stable_sort(v.alerts.begin(), v.alerts.end(), AlertLess);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace mytsdb::alertmanager
