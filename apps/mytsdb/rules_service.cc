#include "rules_service.h"

#include <spdlog/spdlog.h>

#include "query/storage_queryable.h"
#include "sql/rule_sql.h"
#include "template/prometheus_functions.h"
#include "template/quote.h"

namespace mytsdb::app {

namespace {

rules::RuleSources SourcesOf(const Config& config) {
  return {.rule_files = config.rule_files,
          .base_dir = config.rule_files_base,
          .evaluation_interval_ms = config.evaluation_interval_ms,
          .query_offset_ms = config.rule_query_offset_ms};
}

}  // namespace

RulesService::RulesService(promql::EngineOptions engine, telemetry::Registry* registry) : engine_(engine) {
  registry->AddCollector([this](telemetry::TextWriter* w) {
    if (auto m = manager()) m->WriteMetrics(w);
    std::lock_guard lock(published_mu_);
    if (notifier_) notifier_->WriteMetrics(w);
  });
}

std::shared_ptr<const rules::Manager> RulesService::manager() const {
  std::lock_guard lock(published_mu_);
  return published_;
}

void RulesService::Publish(std::shared_ptr<rules::Manager> manager) {
  std::lock_guard lock(published_mu_);
  published_ = std::move(manager);
}

RulesService::~RulesService() { Stop(); }

std::shared_ptr<notifier::Notifier> RulesService::current_notifier() const {
  std::lock_guard lock(published_mu_);
  return notifier_;
}

void RulesService::ApplyAlerting(const Config& config) {
  // What the notifier is made of, to tell whether a reload changed it.
  std::string key = std::to_string(config.notification_queue_capacity) + (local_ ? " local" : "") + "\n";
  for (const AlertmanagerConfig& am : config.alertmanagers) {
    key += am.scheme + " " + am.path_prefix + " " + std::to_string(am.timeout_ms);
    for (const std::string& t : am.targets) key += " " + t;
    key += "\n";
  }
  for (const auto& [k, v] : config.external_labels) key += k + "=" + v + "\n";
  for (const relabel::Config& r : config.alert_relabel_configs) {
    key += std::string(relabel::ActionName(r.action)) + "\x1f" + r.separator + "\x1f" + r.regex + "\x1f" +
           r.target_label + "\x1f" + r.replacement + "\x1f" + std::to_string(r.modulus);
    for (const std::string& l : r.source_labels) key += "\x1f" + l;
    key += "\n";
  }
  if (key == notifier_key_) return;
  notifier_key_ = key;
  std::shared_ptr<notifier::Notifier> fresh;
  if (!config.alertmanagers.empty() || local_) {
    notifier::NotifierOptions n;
    n.local = local_;
    for (const AlertmanagerConfig& am : config.alertmanagers) {
      for (const std::string& target : am.targets) {
        n.alertmanagers.push_back(
            {.scheme = am.scheme, .host_port = target, .path_prefix = am.path_prefix, .timeout_ms = am.timeout_ms});
      }
    }
    n.queue_capacity = config.notification_queue_capacity;
    n.external_labels = config.external_labels;
    n.alert_relabel_configs = config.alert_relabel_configs;
    fresh = std::make_shared<notifier::Notifier>(std::move(n));
  }
  std::shared_ptr<notifier::Notifier> old;
  {
    std::lock_guard published(published_mu_);
    old = std::exchange(notifier_, std::move(fresh));
  }
  // The old one sends what it holds. A batch an evaluation queues to it
  // after that is not sent; firing alerts are sent again every resend
  // delay, to the new one.
  if (old) old->Stop();
}

Status RulesService::Apply(const Config& config, storage::Storage* storage) {
  std::lock_guard lock(mu_);
  storage_ = storage;
  // The rules first: if their files do not load, nothing changes.
  Status st = ApplyRules(config);
  if (st.ok()) ApplyAlerting(config);
  return st;
}

Status RulesService::ApplyRules(const Config& config) {
  if (config.rule_files.empty()) {
    if (manager_) {
      // No rule files any more: as a reload to none, so that the groups'
      // series go stale.
      RETURN_NOT_OK(manager_->Reload(SourcesOf(config)));
    }
    return Status::OK();
  }
  if (manager_) return manager_->Reload(SourcesOf(config));
  rules::ManagerOptions options;
  options.sources = SourcesOf(config);
  options.file_options.names = config.name_validation == "legacy" ? model::Labels::NameScheme::kLegacy
                                                                  : model::Labels::NameScheme::kUtf8;
  options.file_options.allow_sql = !config.strict_prometheus;
  options.file_options.check_sql = sql::CheckRuleSql;
  for (const auto& [k, v] : config.external_labels) options.context.external_labels[k] = v;
  options.context.external_url = config.external_url;
  options.context.instant_query = [this](const promql::Node& expr, int64_t t) {
    // Cached: a trend rule's window into the cold tier comes back every
    // cycle, moved by one interval (cold/sample_cache.h).
    const query::StorageQueryable data(*storage_, /*cache_cold=*/true);
    return engine_.Instant(data, expr, t);
  };
  options.context.sql_query = [this](const std::string& text,
                                    int64_t t) -> Result<std::vector<promql::SeriesResult>> {
    const sql::SqlEngine* engine = sql_.load();
    if (engine == nullptr) return Status::Unavailable("SQL is not available (the start-up log says why)");
    return sql::RunRuleSql(*engine, text, t, {});
  };
  options.context.select = [this](const model::Matchers& matchers,
                                  model::TimeRange range) -> Result<std::vector<promql::Series>> {
    const query::StorageQueryable data(*storage_);
    ASSIGN_OR_RETURN(auto set, data.Select(matchers, range, {}));
    return promql::ReadAll(*set);
  };
  options.on_transitions = [this](const rules::Group& group, const rules::AlertingRule& rule, int64_t ts,
                                  std::vector<rules::AlertTransition> changes) {
    history::AlertHistory* history = history_.load();
    if (history == nullptr) return;
    std::vector<history::AlertEvent> events;
    events.reserve(changes.size());
    for (rules::AlertTransition& c : changes) {
      history::AlertEvent e;
      e.time_ms = ts;
      e.rule = rule.spec().name;
      e.group_name = group.name();
      e.rule_file = group.file();
      e.state = c.to();
      e.previous_state = rules::AlertStateName(c.from);
      e.labels = std::move(c.alert.labels);
      e.annotations = std::move(c.alert.annotations);
      e.value = c.alert.value;
      e.active_at_ms = c.alert.active_at;
      e.fired_at_ms = c.alert.fired_at;
      events.push_back(std::move(e));
    }
    history->Record(std::move(events));
  };
  options.outage_tolerance_ms = config.for_outage_tolerance_ms;
  options.grace_period_ms = config.for_grace_period_ms;
  options.resend_delay_ms = config.resend_delay_ms;
  options.notify = [this, url = config.external_url](const rules::RuleQuery& query,
                                                     std::vector<rules::Alert> alerts) {
    std::shared_ptr<notifier::Notifier> notifier = current_notifier();
    if (!notifier) return;  // no Alertmanager, neither in alerting.alertmanagers nor built in
    std::string base = url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    // Where the alert comes from: Prometheus's table view of the
    // expression, or the SQL endpoint running the query.
    const std::string generator_url =
        base + (query.is_sql() ? "/api/v1/sql?query=" + tmpl::QueryEscape(query.Text())
                               : tmpl::TableLink(query.Text()));
    std::vector<notifier::Alert> out;
    out.reserve(alerts.size());
    for (rules::Alert& a : alerts) {
      notifier::Alert n;
      n.labels = std::move(a.labels);
      n.annotations = std::move(a.annotations);
      n.starts_at_ms = a.fired_at;
      n.ends_at_ms = a.resolved_at != 0 ? a.resolved_at : a.valid_until;
      n.generator_url = generator_url;
      out.push_back(std::move(n));
    }
    notifier->Send(std::move(out));
  };
  options.append = [this](std::span<const rules::RuleSample> samples) -> Status {
    std::vector<model::Sample> values;
    values.reserve(samples.size());
    for (const rules::RuleSample& s : samples) values.push_back({s.t, s.v});
    std::vector<head::SeriesSamples> batch;
    batch.reserve(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) batch.push_back({&samples[i].labels, {&values[i], 1}});
    storage::StorageAppendResult result;
    RETURN_NOT_OK(storage_->Append(batch, {}, &result));
    // Out of order or duplicate samples are Prometheus's warnings, not
    // failures of the rule.
    if (result.rejected() > 0) {
      spdlog::warn("rules: {} of {} samples not appended (out of order, duplicate or refused)", result.rejected(),
                   samples.size());
    }
    return Status::OK();
  };
  ASSIGN_OR_RETURN(auto started, rules::Manager::Start(std::move(options)));
  manager_ = std::shared_ptr<rules::Manager>(std::move(started));
  Publish(manager_);
  spdlog::info("rules: {} groups from {} files", manager_->Groups().size(), manager_->Files().size());
  return Status::OK();
}

void RulesService::Stop() {
  std::lock_guard lock(mu_);
  Publish(nullptr);
  if (manager_) manager_->Stop();
  manager_.reset();
  std::shared_ptr<notifier::Notifier> notifier;
  {
    std::lock_guard published(published_mu_);
    notifier = std::move(notifier_);
  }
  if (notifier) notifier->Stop();  // sends what is queued
}

}  // namespace mytsdb::app
