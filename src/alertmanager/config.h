// An Alertmanager configuration file (config.Config of 0.25): `global`,
// `route`, `inhibit_rules`, `receivers`, `time_intervals` (and the
// deprecated `mute_time_intervals`) and `templates`, decoded and checked as
// Alertmanager checks them, with its messages, so that `mytsdb check
// alertmanager-config` and `amtool check-config` give the same verdict.
//
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alertmanager/matcher.h"
#include "alertmanager/receiver_config.h"
#include "alertmanager/route.h"
#include "alertmanager/time_interval.h"
#include "common/result.h"

namespace mytsdb::alertmanager {

struct InhibitRule {
  Matchers source_matchers;  // with source_match and source_match_re
  Matchers target_matchers;
  std::vector<std::string> equal;
};

struct GlobalConfig {
  int64_t resolve_timeout_ms = 5 * 60'000;
  HttpClientConfig http;
  std::string smtp_from;
  std::string smtp_hello = "localhost";
  std::string smtp_smarthost_host, smtp_smarthost_port;
  std::string smtp_auth_username, smtp_auth_password, smtp_auth_password_file, smtp_auth_secret, smtp_auth_identity;
  bool smtp_require_tls = true;
  std::string slack_api_url, slack_api_url_file;
};

struct Config {
  GlobalConfig global;
  std::shared_ptr<const Route> route;
  std::vector<InhibitRule> inhibit_rules;
  std::vector<Receiver> receivers;
  std::vector<std::string> templates;  // globs, relative paths made absolute
  // `time_intervals` and `mute_time_intervals` together, by name.
  std::map<std::string, NamedTimeInterval> time_intervals;
  std::string original;  // the file's text, as /api/v2/status shows it

  const Receiver* FindReceiver(std::string_view name) const;
};

// Decodes and checks `text`; relative template paths are taken from
// `base_dir` (the configuration file's directory), as Alertmanager does.
Result<Config> LoadConfig(std::string_view text, const std::string& base_dir = "");
Result<Config> LoadConfigFile(const std::string& path);

// The configuration's text with its secrets (passwords, credentials,
// Slack URLs) replaced by "<secret>", as /api/v2/status and `amtool config
// show` present it.
std::string RedactedConfigText(std::string_view text);

}  // namespace mytsdb::alertmanager
