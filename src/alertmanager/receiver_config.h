// The `receivers` of an Alertmanager configuration: webhook, email and
// Slack integrations and Prometheus's HTTP client configuration, decoded
// and checked as Alertmanager 0.25 checks them, with its messages. The
// other integrations of Alertmanager (PagerDuty, OpsGenie, ...) are refused
// with a message naming them (docs/ALERTMANAGER.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "promconfig/http_client_config.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace mytsdb::alertmanager {

// Prometheus's common HTTP client configuration (promconfig).
using promconfig::CheckHttpUrl;
using promconfig::HttpClientConfig;
using promconfig::HttpUrl;
using promconfig::ParseHttpUrl;
using promconfig::TlsConfig;

// The `send_resolved` flag every integration has; defaults differ.
struct WebhookConfig {
  bool send_resolved = true;
  HttpClientConfig http;
  std::string url;
  uint64_t max_alerts = 0;  // 0: all
};

struct EmailConfig {
  bool send_resolved = false;
  std::string to, from, hello;
  std::string smarthost_host, smarthost_port;
  std::string auth_username, auth_password, auth_password_file, auth_secret, auth_identity;
  std::map<std::string, std::string> headers;  // canonical header names
  std::string html = "{{ template \"email.default.html\" . }}";
  std::string text;
  bool require_tls = true;
  TlsConfig tls;
  std::string Smarthost() const { return smarthost_host.empty() ? "" : smarthost_host + ":" + smarthost_port; }
};

struct SlackField {
  std::string title, value;
  std::optional<bool> short_field;
};

struct SlackAction {
  std::string type, text, url, style, name, value;
};

struct SlackConfig {
  bool send_resolved = false;
  HttpClientConfig http;
  std::string api_url, api_url_file;
  std::string channel;
  std::string username = "{{ template \"slack.default.username\" . }}";
  std::string color = "{{ if eq .Status \"firing\" }}danger{{ else }}good{{ end }}";
  std::string title = "{{ template \"slack.default.title\" . }}";
  std::string title_link = "{{ template \"slack.default.titlelink\" . }}";
  std::string pretext = "{{ template \"slack.default.pretext\" . }}";
  std::string text = "{{ template \"slack.default.text\" . }}";
  std::vector<SlackField> fields;
  bool short_fields = false;
  std::string footer = "{{ template \"slack.default.footer\" . }}";
  std::string fallback = "{{ template \"slack.default.fallback\" . }}";
  std::string callback_id = "{{ template \"slack.default.callbackid\" . }}";
  std::string icon_emoji = "{{ template \"slack.default.iconemoji\" . }}";
  std::string icon_url = "{{ template \"slack.default.iconurl\" . }}";
  std::string image_url, thumb_url;
  bool link_names = false;
  std::vector<std::string> mrkdwn_in;
  std::vector<SlackAction> actions;
};

struct Receiver {
  std::string name;
  std::vector<WebhookConfig> webhook_configs;
  std::vector<EmailConfig> email_configs;
  std::vector<SlackConfig> slack_configs;
};

// A receiver as written, with which optional fields its integrations set
// (so that `global` fills only the others).
struct ParsedReceiver {
  Receiver receiver;
  std::vector<bool> webhook_http, email_require_tls, slack_http;
};

Result<ParsedReceiver> ParseReceiver(const YAML::Node& node);

// "host:port" as Go's net.SplitHostPort splits it ("" is allowed).
Status ParseHostPort(const std::string& s, std::string* host, std::string* port);

}  // namespace mytsdb::alertmanager
