#include "rules/rule.h"

#include <algorithm>
#include <set>
#include <utility>

#include "model/matcher.h"
#include "model/sample.h"
#include "promql/parser.h"
#include "template/prometheus_functions.h"

namespace mytsdb::rules {

namespace {

// The labels of a result series with `name` as its metric name (or none)
// and `extra` set over them.
model::Labels Relabel(const model::Labels& labels, std::string_view name, const LabelMap& extra) {
  std::map<std::string, std::string, std::less<>> out;
  for (const model::Label& l : labels) out[l.name] = l.value;
  out.erase(std::string(model::kMetricNameLabel));
  if (!name.empty()) out[std::string(model::kMetricNameLabel)] = std::string(name);
  for (const auto& [k, v] : extra) out[k] = v;
  std::vector<model::Label> items;
  items.reserve(out.size());
  for (auto& [k, v] : out) items.push_back({k, std::move(v)});
  return model::Labels::FromSorted(std::move(items));
}

LabelMap Merge(const LabelMap& group_labels, const LabelMap& rule_labels) {
  LabelMap out = group_labels;
  for (const auto& [k, v] : rule_labels) out[k] = v;
  return out;
}

}  // namespace

RuleHealth RuleInstance::health() const {
  std::lock_guard lock(mu_);
  return health_;
}

void RuleInstance::SetHealth(RuleHealth health) {
  std::lock_guard lock(mu_);
  health_ = std::move(health);
}

// ---- recording rules ------------------------------------------------------

Result<std::unique_ptr<RecordingRule>> RecordingRule::Make(const Rule& spec, const LabelMap& group_labels) {
  ASSIGN_OR_RETURN(RuleQuery query, RuleQuery::Make(spec));
  Rule merged = spec;
  merged.labels = Merge(group_labels, spec.labels);
  return std::unique_ptr<RecordingRule>(new RecordingRule(std::move(merged), std::move(query)));
}

Result<std::vector<RuleSample>> RecordingRule::Eval(int64_t ts, int64_t query_offset_ms, const EvalContext& context,
                                                    int64_t limit) {
  const int64_t t = ts - query_offset_ms;
  ASSIGN_OR_RETURN(auto vector, query_.Run(t, context));
  std::vector<RuleSample> out;
  std::set<model::Labels> seen;
  for (const promql::SeriesResult& s : vector) {
    if (s.points.empty()) continue;
    RuleSample sample{Relabel(s.labels, spec_.name, spec_.labels), t, s.points.back().v};
    if (!seen.insert(sample.labels).second) {
      return Status::InvalidArgument("vector contains metrics with the same labelset after applying rule labels");
    }
    out.push_back(std::move(sample));
  }
  if (limit > 0 && static_cast<int64_t>(out.size()) > limit) {
    return Status::InvalidArgument("exceeded limit of " + std::to_string(limit) + " with " +
                                   std::to_string(out.size()) + " series");
  }
  return out;
}

// ---- alerting rules -------------------------------------------------------

const char* AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kInactive: return "inactive";
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
  }
  return "";
}

// The rule's label and annotation templates, parsed once. Their `query`
// function runs at the evaluation's time through the evaluation's context,
// which Eval sets in `current` before expanding.
struct AlertingRule::Templates {
  struct Current {
    int64_t ts = 0;
    const EvalContext* context = nullptr;
  };
  std::shared_ptr<Current> current = std::make_shared<Current>();
  std::vector<std::pair<std::string, tmpl::Template>> labels;
  std::vector<std::pair<std::string, tmpl::Template>> annotations;
};

AlertingRule::AlertingRule(Rule spec, RuleQuery query, std::unique_ptr<Templates> templates)
    : RuleInstance(std::move(spec), std::move(query)), templates_(std::move(templates)) {}

Result<std::unique_ptr<AlertingRule>> AlertingRule::Make(const Rule& spec, const LabelMap& group_labels,
                                                         const std::string& external_url) {
  ASSIGN_OR_RETURN(RuleQuery query, RuleQuery::Make(spec));
  Rule merged = spec;
  merged.labels = Merge(group_labels, spec.labels);
  auto templates = std::make_unique<Templates>();
  tmpl::PrometheusContext functions;
  functions.external_url = external_url;
  functions.query = [current = templates->current](std::string_view q) -> Result<std::vector<tmpl::QuerySample>> {
    if (!current->context) return Status::Internal("template query outside an evaluation");
    ASSIGN_OR_RETURN(promql::ExprPtr e, promql::ParseExpr(q));
    ASSIGN_OR_RETURN(auto vector, InstantVector(*e, current->ts, *current->context));
    std::vector<tmpl::QuerySample> out;
    for (const auto& s : vector) {
      tmpl::QuerySample sample;
      for (const model::Label& l : s.labels) sample.labels[l.name] = l.value;
      sample.value = s.points.empty() ? 0 : s.points.back().v;
      out.push_back(std::move(sample));
    }
    return out;
  };
  const auto funcs = tmpl::PrometheusFunctions(std::move(functions));
  const std::string name = "__alert_" + spec.name;
  auto parse = [&](const LabelMap& map, std::vector<std::pair<std::string, tmpl::Template>>* out) -> Status {
    for (const auto& [k, text] : map) {
      ASSIGN_OR_RETURN(auto t, tmpl::Template::Parse(name, std::string(tmpl::kAlertTemplatePreamble) + text, funcs));
      out->emplace_back(k, std::move(t));
    }
    return Status::OK();
  };
  RETURN_NOT_OK(parse(merged.labels, &templates->labels));
  RETURN_NOT_OK(parse(merged.annotations, &templates->annotations));
  return std::unique_ptr<AlertingRule>(new AlertingRule(std::move(merged), std::move(query), std::move(templates)));
}

std::string AlertingRule::Expand(const tmpl::Template& t, const tmpl::Value& data, int64_t eval_ts,
                                 const EvalContext& context) {
  templates_->current->ts = eval_ts;
  templates_->current->context = &context;
  tmpl::ExecOptions options;
  options.missing_key = tmpl::MissingKey::kZero;
  auto out = t.Execute(data, options);
  templates_->current->context = nullptr;
  if (!out.ok()) return "<error expanding template: error executing template " + t.name() + ": " +
                        out.status().message() + ">";
  return *std::move(out);
}

Result<std::vector<RuleSample>> AlertingRule::Eval(int64_t ts, int64_t query_offset_ms, const EvalContext& context,
                                                   int64_t limit) {
  const int64_t t = ts - query_offset_ms;
  ASSIGN_OR_RETURN(auto vector, query_.Run(t, context));
  // An alert for each element of the result, with its labels and
  // annotations expanded.
  std::unordered_map<uint64_t, Alert> current;
  for (const promql::SeriesResult& s : vector) {
    if (s.points.empty()) continue;
    const double value = s.points.back().v;
    tmpl::LabelMap template_labels;  // $labels: the result's labels, __name__ included
    for (const model::Label& l : s.labels) template_labels[l.name] = l.value;
    const tmpl::Value data = tmpl::AlertTemplateData(template_labels, context.external_labels, context.external_url,
                                                     value);
    LabelMap extra;
    for (const auto& [k, tpl] : templates_->labels) extra[k] = Expand(tpl, data, t, context);
    extra["alertname"] = spec_.name;
    Alert alert;
    alert.labels = Relabel(s.labels, "", extra);
    for (const auto& [k, tpl] : templates_->annotations) alert.annotations.push_back({k, Expand(tpl, data, t, context)});
    alert.state = AlertState::kPending;
    alert.value = value;
    alert.active_at = ts;
    const uint64_t h = alert.labels.Hash();
    if (!current.emplace(h, std::move(alert)).second) {
      return Status::InvalidArgument("vector contains metrics with the same labelset after applying alert labels");
    }
  }

  std::lock_guard lock(mu_);
  std::unordered_map<uint64_t, AlertState> before;
  for (const auto& [h, a] : active_) before.emplace(h, a.state);
  for (auto& [h, alert] : current) {
    auto it = active_.find(h);
    // A known alert keeps its state; its value and annotations are updated.
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = alert.value;
      it->second.annotations = std::move(alert.annotations);
      continue;
    }
    active_[h] = std::move(alert);
  }

  std::vector<RuleSample> out;
  int64_t alerts = 0;
  for (auto it = active_.begin(); it != active_.end();) {
    Alert& a = it->second;
    if (!current.count(it->first)) {
      // Not in the result any more.
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && spec_.keep_firing_for_ms > 0) {
        if (a.keep_firing_since == 0) a.keep_firing_since = ts;
        keep_firing = ts - a.keep_firing_since < spec_.keep_firing_for_ms;
      }
      // A pending alert goes at once; a resolved one once it has been kept
      // long enough to be sent as resolved.
      if (a.state == AlertState::kPending ||
          (a.resolved_at != 0 && ts - a.resolved_at > kResolvedRetentionMs)) {
        if (a.state == AlertState::kPending) {
          AlertTransition gone{a, AlertState::kPending};
          gone.alert.state = AlertState::kInactive;
          transitions_.push_back(std::move(gone));
        }
        it = active_.erase(it);
        continue;
      }
      if (a.state != AlertState::kInactive && !keep_firing) {
        a.state = AlertState::kInactive;
        a.resolved_at = ts;
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since = 0;
    }
    ++alerts;
    if (a.state == AlertState::kPending && ts - a.active_at >= spec_.for_ms) {
      a.state = AlertState::kFiring;
      a.fired_at = ts;
    }
    if (restored_) {
      LabelMap state{{"alertstate", AlertStateName(a.state)}};
      out.push_back({Relabel(a.labels, "ALERTS", state), t, 1});
      out.push_back({Relabel(a.labels, "ALERTS_FOR_STATE", {}), t, static_cast<double>(a.active_at / 1000)});
    }
    ++it;
  }
  for (const auto& [h, a] : active_) {
    auto was = before.find(h);
    const AlertState from = was == before.end() ? AlertState::kInactive : was->second;
    if (a.state != from) transitions_.push_back({a, from});
  }
  if (limit > 0 && alerts > limit) {
    active_.clear();
    return Status::InvalidArgument("exceeded limit of " + std::to_string(limit) + " with " + std::to_string(alerts) +
                                   " alerts");
  }
  return out;
}

const char* AlertTransition::to() const {
  if (alert.state != AlertState::kInactive) return AlertStateName(alert.state);
  return from == AlertState::kFiring ? "resolved" : "inactive";
}

void AlertingRule::CopyStateFrom(const AlertingRule& from) {
  std::scoped_lock lock(mu_, from.mu_);
  active_ = from.active_;
  restored_ = from.restored_;
}

std::vector<AlertTransition> AlertingRule::TakeTransitions() {
  std::lock_guard lock(mu_);
  return std::exchange(transitions_, {});
}

std::vector<Alert> AlertingRule::Alerts() const {
  std::lock_guard lock(mu_);
  std::vector<Alert> out;
  out.reserve(active_.size());
  for (const auto& [h, a] : active_) out.push_back(a);
  std::sort(out.begin(), out.end(), [](const Alert& a, const Alert& b) { return a.labels < b.labels; });
  return out;
}

std::vector<Alert> AlertingRule::AlertsToSend(int64_t ts, int64_t resend_delay_ms, int64_t interval_ms) {
  std::lock_guard lock(mu_);
  std::vector<Alert> out;
  for (auto& [h, a] : active_) {
    if (a.state == AlertState::kPending) continue;
    const bool resolved_since_sent = a.resolved_at > a.last_sent_at;
    if (!resolved_since_sent && a.last_sent_at + resend_delay_ms >= ts) continue;
    a.last_sent_at = ts;
    // Valid for two failed evaluations or sends, and two more.
    a.valid_until = ts + 4 * std::max(resend_delay_ms, interval_ms);
    out.push_back(a);
  }
  return out;
}

void AlertingRule::SetRestored(bool restored) {
  std::lock_guard lock(mu_);
  restored_ = restored;
}

Status AlertingRule::RestoreForState(int64_t ts, const EvalContext& context, int64_t outage_tolerance_ms,
                                     int64_t grace_period_ms) {
  const int64_t hold = spec_.for_ms;
  if (hold < grace_period_ms || !context.select) {
    // It would have to wait the grace period: it waits its own `for`.
    SetRestored(true);
    return Status::OK();
  }
  std::lock_guard lock(mu_);
  for (auto& [h, a] : active_) {
    // The ALERTS_FOR_STATE series of this alert, exactly.
    const model::Labels series = Relabel(a.labels, "ALERTS_FOR_STATE", {});
    model::Matchers matchers;
    for (const model::Label& l : series) {
      auto m = model::Matcher::Make(model::MatchType::kEqual, l.name, l.value);
      if (!m.ok()) return m.status();
      matchers.push_back(*std::move(m));
    }
    ASSIGN_OR_RETURN(auto found, context.select(matchers, {ts - outage_tolerance_ms, ts}));
    if (found.empty() || found[0].samples.empty()) continue;
    const model::Sample& last = found[0].samples.back();
    if (model::IsStaleNaN(last.value)) continue;  // it was not active any more
    // Prometheus works in whole seconds here.
    const int64_t down_at = last.timestamp_ms / 1000 * 1000;
    int64_t restored_active_at = static_cast<int64_t>(last.value) * 1000;
    const int64_t remaining_pending = hold - (down_at - restored_active_at);
    if (remaining_pending <= 0) {
      // It was firing: the next evaluation makes it firing again if it still is.
    } else if (remaining_pending < grace_period_ms) {
      restored_active_at = ts + grace_period_ms - hold;  // fires after the grace period
    } else {
      restored_active_at += ts - down_at;  // the outage does not count as pending
    }
    a.active_at = restored_active_at;
  }
  restored_ = true;
  return Status::OK();
}

Result<std::unique_ptr<RuleInstance>> MakeRule(const Rule& spec, const LabelMap& group_labels,
                                               const std::string& external_url) {
  if (spec.kind == Rule::Kind::kRecording) {
    ASSIGN_OR_RETURN(auto r, RecordingRule::Make(spec, group_labels));
    return std::unique_ptr<RuleInstance>(std::move(r));
  }
  ASSIGN_OR_RETURN(auto r, AlertingRule::Make(spec, group_labels, external_url));
  return std::unique_ptr<RuleInstance>(std::move(r));
}

}  // namespace mytsdb::rules
