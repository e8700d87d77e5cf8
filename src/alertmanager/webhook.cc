// The webhook integration (notify/webhook of Alertmanager 0.25).
#include <algorithm>

#include "alertmanager/http_client.h"
#include "alertmanager/integration.h"
#include "alertmanager/notification_data.h"

namespace mytsdb::alertmanager {

namespace {

class Webhook final : public Integration {
 public:
  explicit Webhook(WebhookConfig config) : config_(std::move(config)) {}
  const char* name() const override { return "webhook"; }
  bool send_resolved() const override { return config_.send_resolved; }

  Status Notify(const NotifyRequest& request, bool* retry) override {
    // max_alerts keeps the first alerts and says how many were left out.
    std::vector<Alert> alerts = request.alerts;
    uint64_t truncated = 0;
    if (config_.max_alerts > 0 && alerts.size() > config_.max_alerts) {
      truncated = alerts.size() - config_.max_alerts;
      alerts.resize(config_.max_alerts);
    }
    const NotificationData data =
        MakeNotificationData(request.receiver, request.group_labels, alerts, request.now, request.external_url);
    const std::string body = WebhookMessage(data, request.group_key, truncated);
    auto reply = PostJson(config_.url, config_.http, body, request.timeout);
    if (!reply.ok()) {
      *retry = true;
      return reply.status();
    }
    if (reply->status / 100 == 2) return Status::OK();
    *retry = reply->status / 100 == 5;
    std::string detail = reply->body.substr(0, 1024);
    return Status::Unavailable("unexpected status code " + std::to_string(reply->status) +
                               (detail.empty() ? "" : ": " + detail));
  }

 private:
  const WebhookConfig config_;
};

}  // namespace

std::unique_ptr<Integration> MakeWebhook(WebhookConfig config) { return std::make_unique<Webhook>(std::move(config)); }

std::vector<ReceiverIntegration> MakeIntegrations(const Receiver& receiver,
                                                  std::shared_ptr<const NotificationTemplates> templates) {
  std::vector<ReceiverIntegration> out;
  for (size_t i = 0; i < receiver.webhook_configs.size(); ++i) {
    out.push_back({MakeWebhook(receiver.webhook_configs[i]), static_cast<int>(i)});
  }
  for (size_t i = 0; i < receiver.email_configs.size(); ++i) {
    out.push_back({MakeEmail(receiver.email_configs[i], templates), static_cast<int>(i)});
  }
  for (size_t i = 0; i < receiver.slack_configs.size(); ++i) {
    out.push_back({MakeSlack(receiver.slack_configs[i], templates), static_cast<int>(i)});
  }
  return out;
}

}  // namespace mytsdb::alertmanager
