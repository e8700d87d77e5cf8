// Rule evaluation in the server: the rule manager over the storage (PromQL
// queries through the same engine as the API, results appended through the
// WAL), started when the configuration names rule files, and reloaded with
// the configuration (SIGHUP, /-/reload).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "config.h"
#include "history/alert_history.h"
#include "promql/engine.h"
#include "notifier/notifier.h"
#include "rules/manager.h"
#include "sql/engine.h"
#include "storage/storage.h"
#include "telemetry/metrics.h"

namespace mytsdb::app {

class RulesService {
 public:
  // Registers the rule metrics with `registry` (empty until rules run);
  // the service must outlive the server that serves /metrics.
  RulesService(promql::EngineOptions engine, telemetry::Registry* registry);
  ~RulesService();

  // Starts or reloads rule evaluation over `storage` for `config`'s rule
  // files, and the notifier for its `alerting` section; on a problem the
  // rules and the notifier running before keep running.
  Status Apply(const Config& config, storage::Storage* storage);
  // Where rules with `sql:` run (null: SQL is not available, and they fail
  // with that error). Set before Apply; the engine must outlive Stop.
  void SetSqlEngine(const sql::SqlEngine* engine) { sql_ = engine; }
  // Where alert state changes are recorded (null: nowhere). Set before
  // Apply; the history must outlive Stop.
  void SetAlertHistory(history::AlertHistory* history) { history_ = history; }
  // The built-in Alertmanager (--alertmanager.config.file): alerts go to
  // it in process, with or without alerting.alertmanagers. Set before Apply.
  void SetLocalAlertmanager(std::function<Status(const std::vector<notifier::Alert>&)> local) {
    local_ = std::move(local);
  }
  void Stop();
  // The running manager, or nullptr (for the HTTP API; a request holds it
  // while it reads).
  std::shared_ptr<const rules::Manager> manager() const;

 private:
  void Publish(std::shared_ptr<rules::Manager> manager);
  // Starts or reloads the rule manager (mu_ held).
  Status ApplyRules(const Config& config);
  // Makes the notifier for `config`'s alerting section (none without
  // Alertmanagers), replacing the running one if that changed.
  void ApplyAlerting(const Config& config);
  std::shared_ptr<notifier::Notifier> current_notifier() const;

  storage::Storage* storage_ = nullptr;
  std::atomic<const sql::SqlEngine*> sql_{nullptr};
  std::atomic<history::AlertHistory*> history_{nullptr};
  std::function<Status(const std::vector<notifier::Alert>&)> local_;
  promql::Engine engine_;
  std::mutex mu_;  // Apply and Stop, one at a time
  std::shared_ptr<rules::Manager> manager_;
  // Sends the alerts (alerting.alertmanagers; replaced on a reload that
  // changes them).
  std::shared_ptr<notifier::Notifier> notifier_;  // guarded by published_mu_
  std::string notifier_key_;  // what notifier_ was made of; guarded by mu_
  mutable std::mutex published_mu_;
  std::shared_ptr<const rules::Manager> published_;
};

}  // namespace mytsdb::app
