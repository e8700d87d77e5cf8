// POSTs a notification to a receiver's URL with Prometheus's HTTP client
// settings (basic auth, Authorization credentials, TLS with a CA, a client
// certificate or no verification, a proxy, redirects), as the webhook and
// Slack integrations need.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "alertmanager/receiver_config.h"
#include "common/result.h"

namespace mytsdb::alertmanager {

struct HttpReply {
  int status = 0;
  std::string body;
};

// An error only when no reply came (connection, TLS, timeout).
Result<HttpReply> PostJson(const std::string& url, const HttpClientConfig& config, std::string_view body,
                           std::chrono::milliseconds timeout);

using promconfig::ReadSecretFile;

// The User-Agent of notifications.
constexpr const char* kUserAgent = "Alertmanager/0.25.0 (MyTSDB)";

}  // namespace mytsdb::alertmanager
