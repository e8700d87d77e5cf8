#include "embedded_alertmanager.h"

#include <spdlog/spdlog.h>

#include "http/alertmanager_api.h"

namespace mytsdb::app {

void EmbeddedAlertmanager::Attach(http::Server* server, telemetry::Registry* registry) {
  http::AddAlertmanagerApi(server, [this] { return ptr_.load(); });
  registry->AddCollector([this](telemetry::TextWriter* w) {
    if (alertmanager::Alertmanager* am = ptr_.load()) am->WriteMetrics(w);
  });
}

Status EmbeddedAlertmanager::Start(alertmanager::AlertmanagerOptions options) {
  ASSIGN_OR_RETURN(am_, alertmanager::Alertmanager::Start(std::move(options)));
  ptr_ = am_.get();
  return Status::OK();
}

Status EmbeddedAlertmanager::Reload() {
  alertmanager::Alertmanager* am = ptr_.load();
  if (am == nullptr) return Status::OK();
  return am->Reload().WithContext("the built-in Alertmanager's configuration");
}

Status EmbeddedAlertmanager::Receive(const std::vector<notifier::Alert>& alerts) {
  alertmanager::Alertmanager* am = ptr_.load();
  if (am == nullptr) return Status::Unavailable("the built-in Alertmanager is not running");
  std::vector<alertmanager::Alert> out;
  out.reserve(alerts.size());
  for (const notifier::Alert& a : alerts) {
    alertmanager::Alert x;
    x.labels = a.labels;
    for (const model::Label& l : a.annotations) x.annotations[l.name] = l.value;
    x.starts_at = a.starts_at_ms != 0 ? absl::FromUnixMillis(a.starts_at_ms) : alertmanager::kZeroTime;
    x.ends_at = a.ends_at_ms != 0 ? absl::FromUnixMillis(a.ends_at_ms) : alertmanager::kZeroTime;
    x.generator_url = a.generator_url;
    out.push_back(std::move(x));
  }
  return am->PutAlerts(std::move(out));
}

void EmbeddedAlertmanager::Stop() {
  ptr_ = nullptr;
  if (am_) am_->Stop();
}

std::function<void(const alertmanager::NotificationAttempt&)> RecordAttempts(history::AlertHistory* history) {
  if (history == nullptr) return nullptr;
  return [history](const alertmanager::NotificationAttempt& attempt) {
    std::vector<history::AlertEvent> events;
    for (const alertmanager::AlertData& a : attempt.alerts) {
      history::AlertEvent e;
      e.time_ms = absl::ToUnixMillis(attempt.time);
      e.kind = "notification";
      e.rule = std::string(a.labels.Get("alertname"));
      e.group_name = attempt.group_key;
      e.state = attempt.ok ? "sent" : "failed";
      e.previous_state = a.status;
      e.labels = a.labels;
      for (const auto& [k, v] : a.annotations) e.annotations.push_back({k, v});
      e.fired_at_ms = absl::ToUnixMillis(a.starts_at);
      e.receiver = attempt.receiver;
      e.integration = attempt.integration;
      e.error = attempt.error;
      events.push_back(std::move(e));
    }
    history->Record(std::move(events));
  };
}

}  // namespace mytsdb::app
