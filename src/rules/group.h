// A rule group being evaluated (Prometheus's rules.Group): its rules run
// in order at each evaluation time, their samples are appended, and series
// a rule stops producing get a staleness marker, as Prometheus writes them.
// Evaluation times are aligned as Prometheus aligns them: on the interval,
// shifted by an offset derived from the group's file and name, so that
// groups spread over the interval.
//
// Mechanism only: when to evaluate (the schedule, missed iterations) is the
// manager's policy (rules/manager.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "rules/rule.h"

namespace mytsdb::rules {

class Group;

struct GroupOptions {
  int64_t default_interval_ms = 60'000;     // global evaluation_interval
  int64_t default_query_offset_ms = 0;      // global query_offset
  // Appends the samples of one rule's evaluation (through the WAL).
  std::function<Status(std::span<const RuleSample>)> append;
  // The group starts with the server: its alerts are restored from the
  // ALERTS_FOR_STATE series of the run before (RestoreForState), and write
  // no ALERTS until then.
  bool restore = false;
  // Receives the alerts to send after each alerting rule's evaluation
  // (with the rule's expression, for the generator URL); unset: none sent.
  std::function<void(const RuleQuery& query, std::vector<Alert> alerts)> notify;
  int64_t resend_delay_ms = 60'000;  // --rules.alert.resend-delay
  std::string external_url;           // templates' externalURL and pathPrefix
  // Receives each alerting rule's state changes after its evaluation at
  // `ts` (the alert history); unset: none kept.
  std::function<void(const Group& group, const AlertingRule& rule, int64_t ts,
                     std::vector<AlertTransition> changes)>
      on_transitions;
};

struct GroupEvalStats {
  int64_t last_eval_ms = 0;          // evaluation time of the last run
  int64_t last_duration_us = 0;      // how long it took
  uint64_t evaluations = 0;
  uint64_t rule_failures = 0;        // rule evaluations that failed
};

class Group {
 public:
  static Result<std::unique_ptr<Group>> Make(const RuleGroup& spec, std::string file, GroupOptions options);

  const std::string& name() const { return name_; }
  const std::string& file() const { return file_; }
  int64_t interval_ms() const { return interval_ms_; }
  int64_t query_offset_ms() const { return query_offset_ms_; }
  int64_t limit() const { return limit_; }
  const std::vector<std::unique_ptr<RuleInstance>>& rules() const { return rules_; }

  // The evaluation time of the interval `now` (ms) falls in.
  int64_t EvalTimestamp(int64_t now) const;

  // Evaluates every rule at `ts` with `context`; a failing rule is recorded
  // in its health and the others go on.
  void Eval(int64_t ts, const EvalContext& context);

  // Staleness markers at `ts` for every series the group last produced
  // (when the group is removed by a reload).
  Status MarkAllStale(int64_t ts);

  // Takes over the state of `from`, the group of the same file and name
  // that a reload replaces with this one, before this one first runs
  // (Prometheus's CopyState): each rule of the same name and labels keeps
  // the series it wrote and, for alerting rules, its alerts (a firing
  // alert stays firing); the series of `from`'s rules that have no match
  // here get staleness markers at this group's first evaluation.
  void CopyStateFrom(const Group& from);

  // Whether the alerts still wait to be restored, and restoring them (see
  // AlertingRule::RestoreForState) at `ts`.
  bool needs_restore() const { return needs_restore_; }
  void RestoreForState(int64_t ts, const EvalContext& context, int64_t outage_tolerance_ms, int64_t grace_period_ms);

  GroupEvalStats stats() const;

 private:
  Group() = default;

  std::string name_;
  std::string file_;
  int64_t interval_ms_ = 0;
  int64_t query_offset_ms_ = 0;
  int64_t limit_ = 0;
  bool needs_restore_ = false;
  GroupOptions options_;
  std::vector<std::unique_ptr<RuleInstance>> rules_;
  // Series each rule wrote at its last successful evaluation.
  std::vector<std::set<model::Labels>> previous_;
  // Series of rules a reload removed, marked stale at the next evaluation.
  std::vector<model::Labels> stale_series_;
  mutable std::mutex stats_mu_;
  GroupEvalStats stats_;
};

}  // namespace mytsdb::rules
