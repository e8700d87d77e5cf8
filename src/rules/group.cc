#include "rules/group.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <map>

#include "model/sample.h"

namespace mytsdb::rules {

Result<std::unique_ptr<Group>> Group::Make(const RuleGroup& spec, std::string file, GroupOptions options) {
  std::unique_ptr<Group> g(new Group());
  g->name_ = spec.name;
  g->file_ = std::move(file);
  g->interval_ms_ = spec.interval_ms > 0 ? spec.interval_ms : options.default_interval_ms;
  g->query_offset_ms_ = spec.query_offset_ms.value_or(options.default_query_offset_ms);
  g->limit_ = spec.limit;
  g->options_ = std::move(options);
  if (g->interval_ms_ <= 0) return Status::InvalidArgument("group " + spec.name + ": the interval must be positive");
  for (const Rule& r : spec.rules) {
    auto rule = MakeRule(r, spec.labels, g->options_.external_url);
    if (!rule.ok()) return rule.status().WithContext("group " + spec.name + ", rule " + r.name);
    g->rules_.push_back(rule.MoveValue());
  }
  g->previous_.resize(g->rules_.size());
  if (g->options_.restore) {
    for (auto& r : g->rules_) {
      if (auto* alerting = dynamic_cast<AlertingRule*>(r.get())) {
        alerting->SetRestored(false);
        g->needs_restore_ = true;
      }
    }
  }
  return g;
}

void Group::RestoreForState(int64_t ts, const EvalContext& context, int64_t outage_tolerance_ms,
                            int64_t grace_period_ms) {
  for (auto& r : rules_) {
    auto* alerting = dynamic_cast<AlertingRule*>(r.get());
    if (!alerting) continue;
    Status st = alerting->RestoreForState(ts, context, outage_tolerance_ms, grace_period_ms);
    if (!st.ok()) {
      // As Prometheus: the alerts start afresh, the rule runs.
      alerting->SetRestored(true);
      RuleHealth health = alerting->health();
      health.last_error = "restoring the alerts' state: " + st.message();
      alerting->SetHealth(std::move(health));
    }
  }
  needs_restore_ = false;
}

int64_t Group::EvalTimestamp(int64_t now) const {
  // Prometheus hashes the group's name and file; the offset spreads groups
  // of one interval over it, and stays the same across restarts.
  const model::Labels identity{{"file", file_}, {"name", name_}};
  const int64_t offset = static_cast<int64_t>(identity.Hash() % static_cast<uint64_t>(interval_ms_));
  const int64_t adjusted = now - offset;
  int64_t base = adjusted - adjusted % interval_ms_;
  if (adjusted % interval_ms_ < 0) base -= interval_ms_;  // before 1970: floor, not truncation
  return base + offset;
}

void Group::Eval(int64_t ts, const EvalContext& context) {
  const auto started = std::chrono::steady_clock::now();
  uint64_t failures = 0;
  const int64_t sample_ts = ts - query_offset_ms_;
  if (!stale_series_.empty()) {
    std::vector<RuleSample> markers;
    for (model::Labels& labels : stale_series_) markers.push_back({std::move(labels), sample_ts, model::StaleNaN()});
    stale_series_.clear();
    Status st = options_.append(markers);
    if (!st.ok()) spdlog::warn("rules: staleness markers of removed rules of group {}: {}", name_, st.message());
  }
  for (size_t i = 0; i < rules_.size(); ++i) {
    RuleInstance& rule = *rules_[i];
    const auto rule_started = std::chrono::steady_clock::now();
    RuleHealth health;
    health.last_eval_ms = ts;
    auto samples = rule.Eval(ts, query_offset_ms_, context, limit_);
    if (!samples.ok()) {
      health.state = RuleHealth::State::kErr;
      health.last_error = samples.status().message();
      ++failures;
    } else {
      // The rule's samples, then staleness markers for the series it wrote
      // last time and not now.
      std::set<model::Labels> returned;
      std::vector<RuleSample> out = samples.MoveValue();
      for (const RuleSample& s : out) returned.insert(s.labels);
      for (const model::Labels& labels : previous_[i]) {
        if (!returned.count(labels)) out.push_back({labels, sample_ts, model::StaleNaN()});
      }
      Status appended = out.empty() ? Status::OK() : options_.append(out);
      if (appended.ok()) {
        health.state = RuleHealth::State::kOk;
        previous_[i] = std::move(returned);
      } else {
        health.state = RuleHealth::State::kErr;
        health.last_error = appended.message();
        ++failures;
      }
    }
    health.eval_duration_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - rule_started).count();
    rule.SetHealth(std::move(health));
    if (auto* alerting = dynamic_cast<AlertingRule*>(&rule)) {
      std::vector<AlertTransition> changes = alerting->TakeTransitions();
      if (!changes.empty() && options_.on_transitions) options_.on_transitions(*this, *alerting, ts, std::move(changes));
    }
    if (auto* alerting = dynamic_cast<AlertingRule*>(&rule); alerting && options_.notify) {
      std::vector<Alert> to_send = alerting->AlertsToSend(ts, options_.resend_delay_ms, interval_ms_);
      if (!to_send.empty()) options_.notify(alerting->query(), std::move(to_send));
    }
  }
  std::lock_guard lock(stats_mu_);
  stats_.last_eval_ms = ts;
  stats_.last_duration_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  ++stats_.evaluations;
  stats_.rule_failures += failures;
}

void Group::CopyStateFrom(const Group& from) {
  // Rules match by name and labels, in order where several share them.
  auto key = [](const RuleInstance& r) {
    std::string k = (r.spec().kind == Rule::Kind::kAlerting ? "alert " : "record ") + r.spec().name;
    for (const auto& [name, value] : r.spec().labels) k += "\x1f" + name + "=" + value;
    return k;
  };
  std::map<std::string, std::deque<size_t>> unmatched;
  for (size_t i = 0; i < from.rules_.size(); ++i) unmatched[key(*from.rules_[i])].push_back(i);
  for (size_t i = 0; i < rules_.size(); ++i) {
    auto it = unmatched.find(key(*rules_[i]));
    if (it == unmatched.end() || it->second.empty()) continue;
    const size_t fi = it->second.front();
    it->second.pop_front();
    previous_[i] = from.previous_[fi];
    auto* to = dynamic_cast<AlertingRule*>(rules_[i].get());
    auto* old = dynamic_cast<const AlertingRule*>(from.rules_[fi].get());
    if (to != nullptr && old != nullptr) to->CopyStateFrom(*old);
  }
  stale_series_ = from.stale_series_;
  for (const auto& [k, indexes] : unmatched) {
    for (size_t fi : indexes) stale_series_.insert(stale_series_.end(), from.previous_[fi].begin(), from.previous_[fi].end());
  }
  needs_restore_ = from.needs_restore_;
}

Status Group::MarkAllStale(int64_t ts) {
  std::vector<RuleSample> stale;
  for (auto& series : previous_) {
    for (const model::Labels& labels : series) stale.push_back({labels, ts, model::StaleNaN()});
    series.clear();
  }
  return stale.empty() ? Status::OK() : options_.append(stale);
}

GroupEvalStats Group::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

}  // namespace mytsdb::rules
