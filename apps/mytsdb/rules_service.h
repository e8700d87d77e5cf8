// Rule evaluation in the server: the rule manager over the storage (PromQL
// queries through the same engine as the API, results appended through the
// WAL), started when the configuration names rule files, and reloaded with
// the configuration (SIGHUP, /-/reload).
#pragma once

#include <atomic>
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
  // files; on a problem the rules running before keep running.
  Status Apply(const Config& config, storage::Storage* storage);
  // Where rules with `sql:` run (null: SQL is not available, and they fail
  // with that error). Set before Apply; the engine must outlive Stop.
  void SetSqlEngine(const sql::SqlEngine* engine) { sql_ = engine; }
  // Where alert state changes are recorded (null: nowhere). Set before
  // Apply; the history must outlive Stop.
  void SetAlertHistory(history::AlertHistory* history) { history_ = history; }
  void Stop();
  // The running manager, or nullptr (for the HTTP API; a request holds it
  // while it reads).
  std::shared_ptr<const rules::Manager> manager() const;

 private:
  void Publish(std::shared_ptr<rules::Manager> manager);

  storage::Storage* storage_ = nullptr;
  std::atomic<const sql::SqlEngine*> sql_{nullptr};
  std::atomic<history::AlertHistory*> history_{nullptr};
  promql::Engine engine_;
  std::mutex mu_;  // Apply and Stop, one at a time
  std::shared_ptr<rules::Manager> manager_;
  // Sends the alerts (alerting.alertmanagers, read at start).
  std::unique_ptr<notifier::Notifier> notifier_;
  mutable std::mutex published_mu_;
  std::shared_ptr<const rules::Manager> published_;
};

}  // namespace mytsdb::app
