// One way a receiver is notified (notify.Integration of Alertmanager 0.25):
// a webhook, an email address, a Slack channel. The pipeline calls Notify
// with the alerts of a group, retrying while the integration says a retry
// may help.
#pragma once

#include <absl/time/time.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "alertmanager/alert.h"
#include "alertmanager/config.h"
#include "common/status.h"

namespace mytsdb::alertmanager {

struct NotifyRequest {
  std::string receiver;
  std::string group_key;
  model::Labels group_labels;
  std::vector<Alert> alerts;
  absl::Time now;
  std::string external_url;
  std::chrono::milliseconds timeout{10'000};  // for one attempt
};

class Integration {
 public:
  virtual ~Integration() = default;
  virtual const char* name() const = 0;  // "webhook", "email", "slack"
  virtual bool send_resolved() const = 0;
  // OK, or why not and (*retry) whether trying again may help.
  virtual Status Notify(const NotifyRequest& request, bool* retry) = 0;
};

class NotificationTemplates;

// The webhook: POSTs the version-4 JSON message; a 5xx or no answer is
// retried, another non-2xx is not.
std::unique_ptr<Integration> MakeWebhook(WebhookConfig config);
// Slack: POSTs the incoming-webhook message, its fields rendered by the
// templates (slack.cc).
std::unique_ptr<Integration> MakeSlack(SlackConfig config, std::shared_ptr<const NotificationTemplates> templates);
// Email over SMTP (email.cc).
std::unique_ptr<Integration> MakeEmail(EmailConfig config, std::shared_ptr<const NotificationTemplates> templates);

// A receiver's integrations, in Alertmanager's order (email, Slack,
// webhook are the ones MyTSDB has), each with its index among those of its
// kind.
struct ReceiverIntegration {
  std::unique_ptr<Integration> integration;
  int index = 0;
};
std::vector<ReceiverIntegration> MakeIntegrations(const Receiver& receiver,
                                                  std::shared_ptr<const NotificationTemplates> templates);

}  // namespace mytsdb::alertmanager
