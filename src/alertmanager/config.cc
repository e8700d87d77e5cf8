#include "alertmanager/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "promconfig/secret_keys.h"
#include "promconfig/yaml_fields.h"

namespace mytsdb::alertmanager {

using promconfig::ParseYamlDuration;
using promconfig::UnknownField;
using promconfig::YamlStringList;

namespace {

std::string Str(const YAML::Node& v) { return v.IsNull() ? "" : v.as<std::string>(); }

Status CheckLabelName(const std::string& name) {
  if (!model::IsValidLegacyLabelName(name)) return Status::InvalidArgument("invalid label name \"" + name + "\"");
  return Status::OK();
}

// source_match / source_match_re / source_matchers (or target_*) into
// one list of matchers.
Status AddInhibitMatchers(const std::string& kind, const YAML::Node& v, Matchers* out) {
  if (kind == "match" || kind == "match_re") {
    if (v.IsNull()) return Status::OK();
    if (!v.IsMap()) return Status::InvalidArgument(kind + " must be a mapping");
    for (const auto& m : v) {
      const std::string name = m.first.as<std::string>();
      RETURN_NOT_OK(CheckLabelName(name));
      if (kind == "match_re" && m.second.IsNull()) {
        return Status::InvalidArgument("invalid regexp value for \"" + name + "\"");
      }
      if (kind == "match_re") RETURN_NOT_OK(CheckRegex("^(?:" + Str(m.second) + ")$"));
      ASSIGN_OR_RETURN(Matcher matcher, kind == "match" ? Matcher::Make(MatchType::kEqual, name, Str(m.second))
                                                        : Matcher::Make(MatchType::kRegexp, name,
                                                                        "^(?:" + Str(m.second) + ")$"));
      out->push_back(std::move(matcher));
    }
    return Status::OK();
  }
  for (const std::string& text : YamlStringList(v)) {
    ASSIGN_OR_RETURN(Matchers ms, ParseMatchers(text));
    for (Matcher& m : ms) out->push_back(std::move(m));
  }
  return Status::OK();
}

Result<InhibitRule> ParseInhibitRule(const YAML::Node& node) {
  if (!node.IsMap()) return Status::InvalidArgument("an inhibit rule must be a mapping");
  InhibitRule rule;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key.rfind("source_", 0) == 0 && (key == "source_match" || key == "source_match_re" || key == "source_matchers")) {
      RETURN_NOT_OK(AddInhibitMatchers(key.substr(7), kv.second, &rule.source_matchers));
    } else if (key == "target_match" || key == "target_match_re" || key == "target_matchers") {
      RETURN_NOT_OK(AddInhibitMatchers(key.substr(7), kv.second, &rule.target_matchers));
    } else if (key == "equal") {
      for (const std::string& name : YamlStringList(kv.second)) {
        if (!model::IsValidLegacyLabelName(name)) {
          return Status::InvalidArgument("\"" + name + "\" is not a valid label name");
        }
        rule.equal.push_back(name);
      }
    } else {
      return UnknownField(kv.first, "config.plain");
    }
  }
  return rule;
}

Status ParseGlobal(const YAML::Node& node, GlobalConfig* g, bool* has_slack_url) {
  if (node.IsNull()) return Status::OK();
  if (!node.IsMap()) return Status::InvalidArgument("global must be a mapping");
  std::map<std::string, std::string*> strings = {
      {"smtp_from", &g->smtp_from},
      {"smtp_hello", &g->smtp_hello},
      {"smtp_auth_username", &g->smtp_auth_username},
      {"smtp_auth_password", &g->smtp_auth_password},
      {"smtp_auth_password_file", &g->smtp_auth_password_file},
      {"smtp_auth_secret", &g->smtp_auth_secret},
      {"smtp_auth_identity", &g->smtp_auth_identity},
      {"slack_api_url_file", &g->slack_api_url_file},
  };
  // Settings of integrations MyTSDB does not have: checked, then unused.
  const std::set<std::string> other_urls = {"pagerduty_url",    "opsgenie_api_url", "wechat_api_url",
                                            "victorops_api_url", "telegram_api_url", "webex_api_url"};
  const std::set<std::string> other_strings = {"opsgenie_api_key",    "opsgenie_api_key_file", "wechat_api_secret",
                                               "wechat_api_corp_id",  "victorops_api_key",     "victorops_api_key_file"};
  std::map<std::string, std::string> others;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (auto it = strings.find(key); it != strings.end()) {
      *it->second = Str(v);
    } else if (key == "resolve_timeout") {
      ASSIGN_OR_RETURN(g->resolve_timeout_ms, ParseYamlDuration(v));
    } else if (key == "http_config") {
      ASSIGN_OR_RETURN(g->http, promconfig::ParseHttpClientConfig(v));
    } else if (key == "smtp_smarthost") {
      RETURN_NOT_OK(ParseHostPort(Str(v), &g->smtp_smarthost_host, &g->smtp_smarthost_port));
    } else if (key == "smtp_require_tls") {
      g->smtp_require_tls = v.as<bool>();
    } else if (key == "slack_api_url") {
      g->slack_api_url = Str(v);
      *has_slack_url = !v.IsNull();
      if (*has_slack_url) RETURN_NOT_OK(CheckHttpUrl(g->slack_api_url));
    } else if (other_urls.count(key)) {
      if (!v.IsNull()) RETURN_NOT_OK(CheckHttpUrl(Str(v)));
    } else if (other_strings.count(key)) {
      others[key] = Str(v);
    } else {
      return UnknownField(kv.first, "config.plain");
    }
  }
  if (*has_slack_url && !g->slack_api_url_file.empty()) {
    return Status::InvalidArgument("at most one of slack_api_url & slack_api_url_file must be configured");
  }
  for (const char* name : {"opsgenie", "victorops"}) {
    const std::string key = std::string(name) + "_api_key";
    if (!others[key].empty() && !others[key + "_file"].empty()) {
      return Status::InvalidArgument("at most one of " + key + " & " + key + "_file must be configured");
    }
  }
  if (!g->smtp_auth_password.empty() && !g->smtp_auth_password_file.empty()) {
    return Status::InvalidArgument("at most one of smtp_auth_password & smtp_auth_password_file must be configured");
  }
  return Status::OK();
}

// Fills what a receiver's integrations leave to `global`, with
// Alertmanager's errors when global has nothing either.
Status ApplyGlobal(const GlobalConfig& g, bool global_slack_url, ParsedReceiver* p) {
  Receiver& r = p->receiver;
  for (size_t i = 0; i < r.webhook_configs.size(); ++i) {
    if (!p->webhook_http[i]) r.webhook_configs[i].http = g.http;
  }
  for (size_t i = 0; i < r.email_configs.size(); ++i) {
    EmailConfig& ec = r.email_configs[i];
    if (ec.smarthost_host.empty() && ec.smarthost_port.empty()) {
      if (g.smtp_smarthost_host.empty() && g.smtp_smarthost_port.empty()) {
        return Status::InvalidArgument("no global SMTP smarthost set");
      }
      ec.smarthost_host = g.smtp_smarthost_host;
      ec.smarthost_port = g.smtp_smarthost_port;
    }
    if (ec.from.empty()) {
      if (g.smtp_from.empty()) return Status::InvalidArgument("no global SMTP from set");
      ec.from = g.smtp_from;
    }
    if (ec.hello.empty()) ec.hello = g.smtp_hello;
    if (ec.auth_username.empty()) ec.auth_username = g.smtp_auth_username;
    if (ec.auth_password.empty() && ec.auth_password_file.empty()) {
      ec.auth_password = g.smtp_auth_password;
      ec.auth_password_file = g.smtp_auth_password_file;
    }
    if (ec.auth_secret.empty()) ec.auth_secret = g.smtp_auth_secret;
    if (ec.auth_identity.empty()) ec.auth_identity = g.smtp_auth_identity;
    if (!p->email_require_tls[i]) ec.require_tls = g.smtp_require_tls;
  }
  for (size_t i = 0; i < r.slack_configs.size(); ++i) {
    SlackConfig& sc = r.slack_configs[i];
    if (!p->slack_http[i]) sc.http = g.http;
    if (sc.api_url.empty() && sc.api_url_file.empty()) {
      if (!global_slack_url && g.slack_api_url_file.empty()) {
        return Status::InvalidArgument("no global Slack API URL set either inline or in a file");
      }
      sc.api_url = g.slack_api_url;
      sc.api_url_file = g.slack_api_url_file;
    }
  }
  return Status::OK();
}

Status CheckRouteReferences(const Route& r, const std::set<std::string>& receivers,
                            const std::map<std::string, NamedTimeInterval>& intervals, bool check_receivers) {
  for (const auto& child : r.routes()) {
    RETURN_NOT_OK(CheckRouteReferences(*child, receivers, intervals, check_receivers));
  }
  if (check_receivers) {
    if (!receivers.count(r.options().receiver)) {
      return Status::InvalidArgument("undefined receiver \"" + r.options().receiver + "\" used in route");
    }
    return Status::OK();
  }
  for (const auto* list : {&r.options().active_time_intervals, &r.options().mute_time_intervals}) {
    for (const std::string& name : *list) {
      if (!intervals.count(name)) return Status::InvalidArgument("undefined time interval \"" + name + "\" used in route");
    }
  }
  return Status::OK();
}

Result<Config> Load(const YAML::Node& root, std::string_view text, const std::string& base_dir) {
  Config c;
  c.original = std::string(text);
  // An empty file never reaches Alertmanager's checks of the route.
  if (root.IsNull()) return Status::InvalidArgument("no route provided in config");
  if (!root.IsMap()) {
    return Status::InvalidArgument("yaml: unmarshal errors:\n  line " + std::to_string(root.Mark().line + 1) +
                                   ": cannot unmarshal !!" + (root.IsSequence() ? "seq" : "str") + " into config.plain");
  }
  bool global_slack_url = false;
  std::vector<ParsedReceiver> receivers;
  YAML::Node route;
  std::vector<NamedTimeInterval> intervals, mute_intervals;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "global") {
      RETURN_NOT_OK(ParseGlobal(v, &c.global, &global_slack_url));
    } else if (key == "route") {
      route = v;
    } else if (key == "inhibit_rules") {
      if (v.IsNull()) continue;
      if (!v.IsSequence()) return Status::InvalidArgument("inhibit_rules must be a list");
      for (const auto& n : v) {
        ASSIGN_OR_RETURN(InhibitRule rule, ParseInhibitRule(n));
        c.inhibit_rules.push_back(std::move(rule));
      }
    } else if (key == "receivers") {
      if (v.IsNull()) continue;
      if (!v.IsSequence()) return Status::InvalidArgument("receivers must be a list");
      for (const auto& n : v) {
        ASSIGN_OR_RETURN(ParsedReceiver r, ParseReceiver(n));
        receivers.push_back(std::move(r));
      }
    } else if (key == "templates") {
      for (std::string t : YamlStringList(v)) {
        if (!t.empty() && t[0] != '/' && !base_dir.empty()) t = (std::filesystem::path(base_dir) / t).string();
        c.templates.push_back(std::move(t));
      }
    } else if (key == "time_intervals" || key == "mute_time_intervals") {
      if (v.IsNull()) continue;
      if (!v.IsSequence()) return Status::InvalidArgument(key + " must be a list");
      for (const auto& n : v) {
        ASSIGN_OR_RETURN(NamedTimeInterval ti,
                         ParseNamedTimeInterval(n, key == "time_intervals" ? "time interval" : "mute time interval"));
        (key == "time_intervals" ? intervals : mute_intervals).push_back(std::move(ti));
      }
    } else {
      return UnknownField(kv.first, "config.plain");
    }
  }
  std::set<std::string> names;
  for (ParsedReceiver& p : receivers) {
    if (names.count(p.receiver.name)) {
      return Status::InvalidArgument("notification config name \"" + p.receiver.name + "\" is not unique");
    }
    RETURN_NOT_OK(ApplyGlobal(c.global, global_slack_url, &p));
    names.insert(p.receiver.name);
    c.receivers.push_back(std::move(p.receiver));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Route> tree, Route::FromYaml(route));
  c.route = std::move(tree);
  RETURN_NOT_OK(CheckRouteReferences(*c.route, names, c.time_intervals, /*check_receivers=*/true));
  // The deprecated mute_time_intervals first, as Alertmanager reads them.
  for (bool mute : {true, false}) {
    for (NamedTimeInterval& ti : mute ? mute_intervals : intervals) {
      const std::string name = ti.name;
      if (!c.time_intervals.emplace(name, std::move(ti)).second) {
        return Status::InvalidArgument(std::string(mute ? "mute " : "") + "time interval \"" + name +
                                       "\" is not unique");
      }
    }
  }
  RETURN_NOT_OK(CheckRouteReferences(*c.route, names, c.time_intervals, /*check_receivers=*/false));
  return c;
}

void Redact(YAML::Node node) {
  if (node.IsMap()) {
    for (auto kv : node) {
      if (kv.second.IsScalar() && promconfig::IsSecretKey(kv.first.as<std::string>())) {
        kv.second = "<secret>";
      } else {
        Redact(kv.second);
      }
    }
  } else if (node.IsSequence()) {
    for (auto child : node) Redact(child);
  }
}

}  // namespace

std::string RedactedConfigText(std::string_view text) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    Redact(root);
    YAML::Emitter out;
    out << root;
    return std::string(out.c_str()) + "\n";
  } catch (const YAML::Exception&) {
    return "";
  }
}

const Receiver* Config::FindReceiver(std::string_view name) const {
  for (const Receiver& r : receivers) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Result<Config> LoadConfig(std::string_view text, const std::string& base_dir) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    return Load(root, text, base_dir);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("yaml: " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ")");
  }
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("open " + path + ": no such file or directory");
  std::stringstream text;
  text << in.rdbuf();
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return LoadConfig(text.str(), dir.empty() ? "." : dir);
}

}  // namespace mytsdb::alertmanager
