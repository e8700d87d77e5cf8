// The configuration file: what `global` gives the receivers that leave a
// setting out, the integrations' defaults, inhibition rules from their
// three matcher forms, time intervals by name, template paths, and the
// checks that refuse a file (their verdicts against amtool's are in
// test/integration/test_alertmanager_config.py).
#include "alertmanager/config.h"

#include <gtest/gtest.h>

namespace mytsdb::alertmanager {
namespace {

constexpr const char* kConfig = R"(
global:
  resolve_timeout: 1m
  smtp_smarthost: 'mail.example.org:587'
  smtp_from: 'am@example.org'
  smtp_auth_username: am
  smtp_auth_password: secret
  slack_api_url: 'https://hooks.slack.example/services/T0'
  http_config:
    basic_auth: {username: u, password: p}
route:
  receiver: team
  routes:
    - matchers: [severity=page]
      receiver: pager
      mute_time_intervals: [nights]
inhibit_rules:
  - source_match: {severity: critical}
    target_match_re: {severity: 'warning|info'}
    target_matchers: ['team!="db"']
    equal: [cluster, alertname]
receivers:
  - name: team
    webhook_configs:
      - url: 'http://127.0.0.1:5001/hook'
        max_alerts: 10
      - url: 'https://hooks.example/x'
        send_resolved: false
        http_config: {authorization: {credentials: tok}}
    email_configs:
      - to: 'team@example.org'
        headers: {subject: 'Alert!', x-custom: y}
  - name: pager
    slack_configs:
      - channel: '#alerts'
        send_resolved: true
    email_configs:
      - to: 'pager@example.org'
        smarthost: 'other:25'
        require_tls: false
time_intervals:
  - name: nights
    time_intervals: [{times: [{start_time: '00:00', end_time: '06:00'}]}]
templates: ['tmpl/*.tmpl', '/etc/am/extra.tmpl']
)";

TEST(ConfigTest, GlobalFillsWhatReceiversLeaveOut) {
  auto c = LoadConfig(kConfig, "/conf");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->global.resolve_timeout_ms, 60'000);
  const Receiver* team = c->FindReceiver("team");
  ASSERT_NE(team, nullptr);
  ASSERT_EQ(team->webhook_configs.size(), 2u);
  EXPECT_TRUE(team->webhook_configs[0].send_resolved);
  EXPECT_EQ(team->webhook_configs[0].max_alerts, 10u);
  EXPECT_EQ(team->webhook_configs[0].http.basic_auth_username, "u");  // from global
  EXPECT_FALSE(team->webhook_configs[1].send_resolved);
  EXPECT_EQ(team->webhook_configs[1].http.basic_auth_username, "");  // its own http_config
  EXPECT_EQ(team->webhook_configs[1].http.authorization_type, "Bearer");
  EXPECT_EQ(team->webhook_configs[1].http.authorization_credentials, "tok");

  ASSERT_EQ(team->email_configs.size(), 1u);
  const EmailConfig& email = team->email_configs[0];
  EXPECT_EQ(email.Smarthost(), "mail.example.org:587");
  EXPECT_EQ(email.from, "am@example.org");
  EXPECT_EQ(email.hello, "localhost");
  EXPECT_EQ(email.auth_password, "secret");
  EXPECT_TRUE(email.require_tls);
  EXPECT_FALSE(email.send_resolved);
  EXPECT_EQ(email.headers.at("Subject"), "Alert!");  // canonical header names
  EXPECT_EQ(email.headers.at("X-Custom"), "y");
  EXPECT_EQ(email.html, "{{ template \"email.default.html\" . }}");

  const Receiver* pager = c->FindReceiver("pager");
  ASSERT_NE(pager, nullptr);
  EXPECT_EQ(pager->email_configs[0].Smarthost(), "other:25");
  EXPECT_FALSE(pager->email_configs[0].require_tls);
  ASSERT_EQ(pager->slack_configs.size(), 1u);
  EXPECT_EQ(pager->slack_configs[0].api_url, "https://hooks.slack.example/services/T0");
  EXPECT_TRUE(pager->slack_configs[0].send_resolved);
  EXPECT_EQ(pager->slack_configs[0].title, "{{ template \"slack.default.title\" . }}");

  ASSERT_EQ(c->inhibit_rules.size(), 1u);
  EXPECT_EQ(MatchersString(c->inhibit_rules[0].source_matchers), "{severity=\"critical\"}");
  EXPECT_EQ(MatchersString(c->inhibit_rules[0].target_matchers),
            "{severity=~\"^(?:warning|info)$\",team!=\"db\"}");
  EXPECT_EQ(c->inhibit_rules[0].equal, (std::vector<std::string>{"cluster", "alertname"}));

  ASSERT_EQ(c->time_intervals.count("nights"), 1u);
  EXPECT_EQ(c->templates, (std::vector<std::string>{"/conf/tmpl/*.tmpl", "/etc/am/extra.tmpl"}));
  EXPECT_EQ(c->route->routes()[0]->options().mute_time_intervals, std::vector<std::string>{"nights"});
  EXPECT_EQ(c->original, kConfig);
}

TEST(ConfigTest, MinimalFileHasDefaults) {
  auto c = LoadConfig("route: {receiver: x}\nreceivers: [{name: x}]\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->global.resolve_timeout_ms, 5 * 60'000);
  EXPECT_EQ(c->global.smtp_hello, "localhost");
  EXPECT_EQ(c->route->options().group_wait_ms, 30'000);
  EXPECT_TRUE(c->FindReceiver("x")->webhook_configs.empty());
}

TEST(ConfigTest, RefusedWithAlertmanagersMessages) {
  const std::string route = "route: {receiver: x}\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"receivers: [{name: x}]\n", "no routes provided"},
      {route + "receivers: [{name: x}, {name: x}]\n", "notification config name \"x\" is not unique"},
      {route + "receivers: [{name: y}]\n", "undefined receiver \"x\" used in route"},
      {route + "receivers: [{webhook_configs: [{url: 'http://a'}]}]\n", "missing name in receiver"},
      {route + "receivers: [{name: x, email_configs: [{to: a@b}]}]\n", "no global SMTP smarthost set"},
      {"global: {smtp_smarthost: 'h:25'}\n" + route + "receivers: [{name: x, email_configs: [{to: a@b}]}]\n",
       "no global SMTP from set"},
      {route + "receivers: [{name: x, email_configs: [{from: a@b}]}]\n", "missing to address in email config"},
      {route + "receivers: [{name: x, slack_configs: [{channel: c}]}]\n",
       "no global Slack API URL set either inline or in a file"},
      {route + "receivers: [{name: x, webhook_configs: [{max_alerts: 1}]}]\n", "missing URL in webhook config"},
      {route + "receivers: [{name: x, webhook_configs: [{url: 'ftp://a/b'}]}]\n", "unsupported scheme \"ftp\" for URL"},
      {route + "receivers: [{name: x, webhook_configs: [{url: 'http:///b'}]}]\n", "missing host for URL"},
      {route + "receivers: [{name: x, pagerduty_configs: [{routing_key: k}]}]\n",
       "pagerduty_configs is not supported by MyTSDB's Alertmanager (webhook_configs, email_configs and slack_configs "
       "are; docs/ALERTMANAGER.md)"},
      {"global: {smtp_smarthost: 'nohost'}\n" + route + "receivers: [{name: x}]\n",
       "address nohost: missing port in address"},
      {"route: {receiver: x, routes: [{mute_time_intervals: [never]}]}\nreceivers: [{name: x}]\n",
       "undefined time interval \"never\" used in route"},
      {route + "receivers: [{name: x}]\ntime_intervals: [{name: t}, {name: t}]\n", "time interval \"t\" is not unique"},
      {route + "receivers: [{name: x}]\nmute_time_intervals: [{name: t}, {name: t}]\n",
       "mute time interval \"t\" is not unique"},
      {route + "receivers: [{name: x}]\ninhibit_rules: [{equal: ['a-b']}]\n", "\"a-b\" is not a valid label name"},
      {route + "receivers: [{name: x}]\nsmtp: 1\n", "yaml: unmarshal errors:\n  line 3: field smtp not found in type config.plain"},
      {route + "receivers: [{name: x, webhook_configs: [{url: 'http://a', http_config: {bearer_token: a, "
                 "bearer_token_file: b}}]}]\n",
       "at most one of bearer_token & bearer_token_file must be configured"},
      {route + "receivers: [{name: x, email_configs: [{to: a, headers: {subject: a, SUBJECT: b}}]}]\n"
               "global: {smtp_smarthost: 'h:25', smtp_from: f}\n",
       "duplicate header \"Subject\" in email config"},
  };
  for (const auto& [yaml, message] : cases) {
    auto c = LoadConfig(yaml);
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_EQ(c.status().message(), message) << yaml;
  }
  // RE2 words its regex errors its own way; the verdict is the same.
  auto bad_regex = LoadConfig(route + "receivers: [{name: x}]\ninhibit_rules: [{source_match_re: {a: '('}}]\n");
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_EQ(bad_regex.status().message().rfind("error parsing regexp: ", 0), 0u) << bad_regex.status().message();
}

}  // namespace
}  // namespace mytsdb::alertmanager
