#include "alertmanager/receiver_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "promconfig/yaml_fields.h"

namespace mytsdb::alertmanager {

using promconfig::ParseYamlDuration;
using promconfig::UnknownField;
using promconfig::YamlStringList;

namespace {

std::string Str(const YAML::Node& v) { return v.IsNull() ? "" : v.as<std::string>(); }

// The integrations Alertmanager 0.25 has and MyTSDB does not send to.
const std::set<std::string>& UnsupportedIntegrations() {
  static const auto* names = new std::set<std::string>{
      "discord_configs",   "pagerduty_configs", "opsgenie_configs", "wechat_configs", "pushover_configs",
      "victorops_configs", "sns_configs",       "telegram_configs", "webex_configs",
  };
  return *names;
}

// Go's textproto.CanonicalMIMEHeaderKey: "content-type" -> "Content-Type".
std::string CanonicalHeader(std::string key) {
  for (char c : key) {
    if (c == ' ' || static_cast<unsigned char>(c) >= 0x80) return key;  // left as is, as Go does
  }
  bool upper = true;
  for (char& c : key) {
    c = upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
              : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    upper = c == '-';
  }
  return key;
}

bool SendResolved(const std::string& key, const YAML::Node& v, bool* out) {
  if (key != "send_resolved") return false;
  *out = v.as<bool>();
  return true;
}

Result<WebhookConfig> ParseWebhook(const YAML::Node& node, bool* has_http) {
  WebhookConfig c;
  bool has_url = false;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (SendResolved(key, kv.second, &c.send_resolved)) continue;
    if (key == "url") {
      c.url = Str(kv.second);
      has_url = !kv.second.IsNull();
      if (has_url) RETURN_NOT_OK(CheckHttpUrl(c.url));
    } else if (key == "max_alerts") {
      c.max_alerts = kv.second.as<uint64_t>();
    } else if (key == "http_config") {
      *has_http = !kv.second.IsNull();
      ASSIGN_OR_RETURN(c.http, promconfig::ParseHttpClientConfig(kv.second));
    } else {
      return UnknownField(kv.first, "config.plain");
    }
  }
  if (!has_url) return Status::InvalidArgument("missing URL in webhook config");
  return c;
}

Result<EmailConfig> ParseEmail(const YAML::Node& node, bool* has_require_tls) {
  EmailConfig c;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (SendResolved(key, v, &c.send_resolved)) continue;
    if (key == "to") {
      c.to = Str(v);
    } else if (key == "from") {
      c.from = Str(v);
    } else if (key == "hello") {
      c.hello = Str(v);
    } else if (key == "smarthost") {
      RETURN_NOT_OK(ParseHostPort(Str(v), &c.smarthost_host, &c.smarthost_port));
    } else if (key == "auth_username") {
      c.auth_username = Str(v);
    } else if (key == "auth_password") {
      c.auth_password = Str(v);
    } else if (key == "auth_password_file") {
      c.auth_password_file = Str(v);
    } else if (key == "auth_secret") {
      c.auth_secret = Str(v);
    } else if (key == "auth_identity") {
      c.auth_identity = Str(v);
    } else if (key == "headers") {
      for (const auto& h : v) {
        const std::string name = CanonicalHeader(h.first.as<std::string>());
        if (!c.headers.emplace(name, Str(h.second)).second) {
          return Status::InvalidArgument("duplicate header \"" + name + "\" in email config");
        }
      }
    } else if (key == "html") {
      c.html = Str(v);
    } else if (key == "text") {
      c.text = Str(v);
    } else if (key == "require_tls") {
      c.require_tls = v.as<bool>();
      *has_require_tls = !v.IsNull();
    } else if (key == "tls_config") {
      ASSIGN_OR_RETURN(c.tls, promconfig::ParseTlsConfig(v));
    } else {
      return UnknownField(kv.first, "config.plain");
    }
  }
  if (c.to.empty()) return Status::InvalidArgument("missing to address in email config");
  return c;
}

Result<SlackConfig> ParseSlack(const YAML::Node& node, bool* has_http) {
  SlackConfig c;
  std::map<std::string, std::string*> strings = {
      {"channel", &c.channel},         {"username", &c.username},     {"color", &c.color},
      {"title", &c.title},             {"title_link", &c.title_link}, {"pretext", &c.pretext},
      {"text", &c.text},               {"footer", &c.footer},         {"fallback", &c.fallback},
      {"callback_id", &c.callback_id}, {"icon_emoji", &c.icon_emoji}, {"icon_url", &c.icon_url},
      {"image_url", &c.image_url},     {"thumb_url", &c.thumb_url},   {"api_url_file", &c.api_url_file},
  };
  bool has_api_url = false;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (SendResolved(key, v, &c.send_resolved)) continue;
    if (auto it = strings.find(key); it != strings.end()) {
      *it->second = Str(v);
    } else if (key == "api_url") {
      c.api_url = Str(v);
      has_api_url = !v.IsNull();
      if (has_api_url) RETURN_NOT_OK(CheckHttpUrl(c.api_url));
    } else if (key == "http_config") {
      *has_http = !v.IsNull();
      ASSIGN_OR_RETURN(c.http, promconfig::ParseHttpClientConfig(v));
    } else if (key == "short_fields") {
      c.short_fields = v.as<bool>();
    } else if (key == "link_names") {
      c.link_names = v.as<bool>();
    } else if (key == "mrkdwn_in") {
      c.mrkdwn_in = YamlStringList(v);
    } else if (key == "fields") {
      for (const auto& f : v) {
        SlackField field;
        for (const auto& fk : f) {
          const std::string k = fk.first.as<std::string>();
          if (k == "title") {
            field.title = Str(fk.second);
          } else if (k == "value") {
            field.value = Str(fk.second);
          } else if (k == "short") {
            field.short_field = fk.second.as<bool>();
          } else {
            return UnknownField(fk.first, "config.plain");
          }
        }
        if (field.title.empty()) return Status::InvalidArgument("missing title in Slack field configuration");
        if (field.value.empty()) return Status::InvalidArgument("missing value in Slack field configuration");
        c.fields.push_back(std::move(field));
      }
    } else if (key == "actions") {
      for (const auto& a : v) {
        SlackAction action;
        for (const auto& ak : a) {
          const std::string k = ak.first.as<std::string>();
          std::string* target = k == "type"    ? &action.type
                                : k == "text"  ? &action.text
                                : k == "url"   ? &action.url
                                : k == "style" ? &action.style
                                : k == "name"  ? &action.name
                                : k == "value" ? &action.value
                                               : nullptr;
          if (target == nullptr) {
            return Status::InvalidArgument("slack actions." + k + " is not supported by MyTSDB's Alertmanager");
          }
          *target = Str(ak.second);
        }
        if (action.type.empty()) return Status::InvalidArgument("missing type in Slack action configuration");
        if (action.text.empty()) return Status::InvalidArgument("missing text in Slack action configuration");
        if (action.url.empty() && action.name.empty()) {
          return Status::InvalidArgument("missing name or url in Slack action configuration");
        }
        c.actions.push_back(std::move(action));
      }
    } else {
      return UnknownField(kv.first, "config.plain");
    }
  }
  if (has_api_url && !c.api_url_file.empty()) {
    return Status::InvalidArgument("at most one of api_url & api_url_file must be configured");
  }
  return c;
}

// Reads a list of integration configs with `parse`, which reports whether
// an optional field was set (so that the global value fills it only when
// it was not).
template <typename T, typename Parse>
Status ParseList(const YAML::Node& v, Parse parse, std::vector<T>* out, std::vector<bool>* set) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsSequence()) return Status::InvalidArgument("receiver configs must be a list");
  for (const auto& n : v) {
    if (!n.IsMap()) return Status::InvalidArgument("a receiver config must be a mapping");
    bool has = false;
    ASSIGN_OR_RETURN(T c, parse(n, &has));
    out->push_back(std::move(c));
    set->push_back(has);
  }
  return Status::OK();
}

}  // namespace

// "host:port" as Go's net.SplitHostPort splits it; empty is allowed.
Status ParseHostPort(const std::string& s, std::string* host, std::string* port) {
  host->clear();
  port->clear();
  if (s.empty()) return Status::OK();
  const std::string prefix = "address " + s + ": ";
  std::string h, p;
  if (s[0] == '[') {
    const size_t close = s.find(']');
    if (close == std::string::npos) return Status::InvalidArgument(prefix + "missing ']' in address");
    if (close + 1 >= s.size() || s[close + 1] != ':') return Status::InvalidArgument(prefix + "missing port in address");
    h = s.substr(1, close - 1);
    p = s.substr(close + 2);
  } else {
    const size_t colon = s.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument(prefix + "missing port in address");
    h = s.substr(0, colon);
    if (h.find(':') != std::string::npos) return Status::InvalidArgument(prefix + "too many colons in address");
    p = s.substr(colon + 1);
  }
  if (p.empty()) return Status::InvalidArgument("address \"" + s + "\": port cannot be empty");
  *host = h;
  *port = p;
  return Status::OK();
}

Result<ParsedReceiver> ParseReceiver(const YAML::Node& node) {
  if (!node.IsMap()) return Status::InvalidArgument("a receiver must be a mapping");
  ParsedReceiver p;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "name") {
      p.receiver.name = Str(v);
    } else if (key == "webhook_configs") {
      RETURN_NOT_OK(ParseList(v, ParseWebhook, &p.receiver.webhook_configs, &p.webhook_http));
    } else if (key == "email_configs") {
      RETURN_NOT_OK(ParseList(v, ParseEmail, &p.receiver.email_configs, &p.email_require_tls));
    } else if (key == "slack_configs") {
      RETURN_NOT_OK(ParseList(v, ParseSlack, &p.receiver.slack_configs, &p.slack_http));
    } else if (UnsupportedIntegrations().count(key)) {
      return Status::InvalidArgument(key + " is not supported by MyTSDB's Alertmanager (webhook_configs, email_configs "
                                           "and slack_configs are; docs/ALERTMANAGER.md)");
    } else {
      return UnknownField(kv.first, "config.plain");
    }
  }
  if (p.receiver.name.empty()) return Status::InvalidArgument("missing name in receiver");
  return p;
}

}  // namespace mytsdb::alertmanager
