// What a notification says about its group (template.Data of Alertmanager
// 0.25): the receiver, whether anything still fires, each alert with its
// status, and the labels and annotations all alerts share. The webhook
// sends it as JSON (version 4 of its message); email and Slack render it
// through templates.
#pragma once

#include <absl/time/time.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "alertmanager/alert.h"

namespace mytsdb::alertmanager {

struct AlertData {
  std::string status;  // "firing" or "resolved"
  model::Labels labels;
  Annotations annotations;
  absl::Time starts_at;
  absl::Time ends_at;  // zero while firing
  std::string generator_url;
  std::string fingerprint;
};

struct NotificationData {
  std::string receiver;  // regexp-quoted, as Alertmanager gives it
  std::string status;    // "resolved" when no alert fires
  std::vector<AlertData> alerts;
  model::Labels group_labels;
  std::map<std::string, std::string> common_labels;
  std::map<std::string, std::string> common_annotations;
  std::string external_url;
};

NotificationData MakeNotificationData(std::string_view receiver, const model::Labels& group_labels,
                                      const std::vector<Alert>& alerts, absl::Time now, std::string external_url);

// The webhook's JSON body (version "4").
std::string WebhookMessage(const NotificationData& data, const std::string& group_key, uint64_t truncated_alerts);

// Go's regexp.QuoteMeta.
std::string QuoteMeta(std::string_view s);

}  // namespace mytsdb::alertmanager
