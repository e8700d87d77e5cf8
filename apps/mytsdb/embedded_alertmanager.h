// The built-in Alertmanager inside `mytsdb serve` (--alertmanager.config.file):
// the ruler hands it alerts in process (the notifier's local sink, no
// HTTP), its API v2 is served by the server on Alertmanager's paths, it
// reloads with the server's configuration (SIGHUP, /-/reload), keeps its
// state under DATA/alertmanager and records every notification attempt in
// the alert history (docs/ALERTMANAGER.md).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "alertmanager/alertmanager.h"
#include "common/status.h"
#include "history/alert_history.h"
#include "http/server.h"
#include "notifier/notifier.h"
#include "telemetry/metrics.h"

namespace mytsdb::app {

class EmbeddedAlertmanager {
 public:
  ~EmbeddedAlertmanager() { Stop(); }

  // Adds the API routes and metrics; they answer 503 until Start. Call
  // before the server runs.
  void Attach(http::Server* server, telemetry::Registry* registry);
  Status Start(alertmanager::AlertmanagerOptions options);
  Status Reload();
  // The alerts of the rules, as the notifier batches them.
  Status Receive(const std::vector<notifier::Alert>& alerts);
  void Stop();
  bool running() const { return ptr_.load() != nullptr; }

 private:
  std::unique_ptr<alertmanager::Alertmanager> am_;
  std::atomic<alertmanager::Alertmanager*> ptr_{nullptr};
};

// Records notification attempts in `history` (kind "notification", one
// row per alert: state sent or failed, previous_state the alert's status
// in the notification, group_name the group key).
std::function<void(const alertmanager::NotificationAttempt&)> RecordAttempts(history::AlertHistory* history);

}  // namespace mytsdb::app
