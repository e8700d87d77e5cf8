// Recording and alerting rules being evaluated, with Prometheus's semantics
// (rules/recording.go and rules/alerting.go): a recording rule turns its
// query's result into series named after it; an alerting rule keeps an
// alert per label set of its result and moves it inactive -> pending ->
// firing -> inactive (resolved) with `for` and `keep_firing_for`, writing
// ALERTS and ALERTS_FOR_STATE.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "promql/ast.h"
#include "rules/evaluation.h"
#include "rules/rule_query.h"
#include "rules/rule_file.h"
#include "template/template.h"

namespace mytsdb::rules {

// How the last evaluation of a rule went, for /api/v1/rules.
struct RuleHealth {
  enum class State { kUnknown, kOk, kErr };
  State state = State::kUnknown;
  std::string last_error;
  int64_t last_eval_ms = 0;       // evaluation time
  int64_t eval_duration_us = 0;
};

class RuleInstance {
 public:
  virtual ~RuleInstance() = default;
  // Evaluates the rule at `ts` (ms), its query `query_offset_ms` earlier;
  // returns the samples to append (timestamped ts - query_offset_ms).
  // `limit` > 0: more series or alerts than that is an error.
  virtual Result<std::vector<RuleSample>> Eval(int64_t ts, int64_t query_offset_ms, const EvalContext& context,
                                               int64_t limit) = 0;
  const Rule& spec() const { return spec_; }
  // What it asks, PromQL or SQL.
  const RuleQuery& query() const { return query_; }

  RuleHealth health() const;
  void SetHealth(RuleHealth health);

 protected:
  RuleInstance(Rule spec, RuleQuery query) : spec_(std::move(spec)), query_(std::move(query)) {}
  Rule spec_;
  RuleQuery query_;

 private:
  mutable std::mutex mu_;
  RuleHealth health_;
};

class RecordingRule : public RuleInstance {
 public:
  // `group_labels` are added to the rule's own (which win).
  static Result<std::unique_ptr<RecordingRule>> Make(const Rule& spec, const LabelMap& group_labels);
  Result<std::vector<RuleSample>> Eval(int64_t ts, int64_t query_offset_ms, const EvalContext& context,
                                       int64_t limit) override;

 private:
  RecordingRule(Rule spec, RuleQuery query) : RuleInstance(std::move(spec), std::move(query)) {}
};

enum class AlertState { kInactive, kPending, kFiring };
const char* AlertStateName(AlertState state);

struct Alert {
  model::Labels labels;  // the result's labels without __name__, the rule's labels, alertname
  std::vector<model::Label> annotations;
  AlertState state = AlertState::kInactive;
  double value = 0;
  int64_t active_at = 0;  // ms; 0: unset
  int64_t fired_at = 0;
  int64_t resolved_at = 0;
  int64_t keep_firing_since = 0;
  int64_t last_sent_at = 0;
  int64_t valid_until = 0;
};

// A change of an alert's state at one evaluation, for the alert history:
// inactive -> pending (or firing, with no `for`), pending -> firing,
// firing -> resolved, and a pending alert that went away (to inactive).
struct AlertTransition {
  Alert alert;  // as it is after the change
  AlertState from = AlertState::kInactive;
  // The name of the new state: pending, firing, resolved or inactive.
  const char* to() const;
};

class AlertingRule : public RuleInstance {
 public:
  // `external_url` is what the templates' externalURL and pathPrefix give.
  static Result<std::unique_ptr<AlertingRule>> Make(const Rule& spec, const LabelMap& group_labels,
                                                    const std::string& external_url = "");
  Result<std::vector<RuleSample>> Eval(int64_t ts, int64_t query_offset_ms, const EvalContext& context,
                                       int64_t limit) override;

  // The alerts the rule holds (pending, firing, and resolved ones kept 15
  // minutes to be sent as resolved).
  std::vector<Alert> Alerts() const;
  // The alerts to send to Alertmanager after the evaluation at `ts`
  // (Prometheus's sendAlerts): firing ones not sent for `resend_delay_ms`,
  // and those resolved since they were last sent; marks them sent and valid
  // for four evaluations or resend delays.
  std::vector<Alert> AlertsToSend(int64_t ts, int64_t resend_delay_ms, int64_t interval_ms);

  // The state changes of the evaluations since the last call, in order.
  std::vector<AlertTransition> TakeTransitions();

  // Takes over the alerts (and whether they were restored) of `from`, the
  // same rule in the group a reload replaces (Prometheus's CopyState).
  void CopyStateFrom(const AlertingRule& from);

  // Whether ALERTS and ALERTS_FOR_STATE are written: not until the state of
  // an earlier run is restored (Prometheus's `restored`).
  void SetRestored(bool restored);

  // After a restart, gives the alerts found active again the time they
  // became active before it, from the ALERTS_FOR_STATE series written then
  // (Prometheus's RestoreForState): an alert active within
  // `outage_tolerance_ms` before `ts` keeps its pending time, extended by
  // the outage; one that would fire within `grace_period_ms` fires after
  // the grace period instead. Rules whose `for` is shorter than the grace
  // period are not restored. Marks the rule restored.
  Status RestoreForState(int64_t ts, const EvalContext& context, int64_t outage_tolerance_ms,
                         int64_t grace_period_ms);

  // How long a resolved alert is kept to be sent as resolved.
  static constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;

 private:
  struct Templates;
  AlertingRule(Rule spec, RuleQuery query, std::unique_ptr<Templates> templates);
  std::string Expand(const tmpl::Template& t, const tmpl::Value& data, int64_t eval_ts, const EvalContext& context);

  std::unique_ptr<Templates> templates_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Alert> active_;  // by the hash of the alert's labels
  std::vector<AlertTransition> transitions_;    // since TakeTransitions
  bool restored_ = true;
};

// Recording or alerting rule for `spec`; fails when the expression or a
// template does not parse (rule files are checked before, so this is rare).
Result<std::unique_ptr<RuleInstance>> MakeRule(const Rule& spec, const LabelMap& group_labels,
                                               const std::string& external_url = "");

}  // namespace mytsdb::rules
