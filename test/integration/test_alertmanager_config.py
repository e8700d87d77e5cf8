"""`mytsdb check alertmanager-config` against `amtool check-config` 0.25
(Debian's prometheus-alertmanager) on the same files: valid files with
every section, and invalid ones for each check Alertmanager makes (routes,
receivers and their integrations, HTTP client settings, inhibition rules,
time intervals, templates). The verdict (exit code, SUCCESS/FAILED) must be
the same for every file, and the whole output too, except where the two
YAML parsers word a syntax error differently.
"""
import shutil
import subprocess

import pytest

from conftest import BINARY

AMTOOL = shutil.which("amtool")

R = "route: {receiver: x}\n"
RX = R + "receivers: [{name: x}]\n"
CASES = {
 "minimal": RX,
 "full": """
global:
  resolve_timeout: 1m
  smtp_smarthost: 'mail.example.org:587'
  smtp_from: 'am@example.org'
  smtp_auth_username: am
  smtp_auth_password: secret
  slack_api_url: 'https://hooks.slack.example/services/T0'
  http_config: {basic_auth: {username: u, password: p}}
route:
  receiver: team
  group_by: ['...']
  routes:
    - matchers: [severity=page]
      receiver: pager
      mute_time_intervals: [nights]
      active_time_intervals: [weekdays]
inhibit_rules:
  - source_match: {severity: critical}
    target_match_re: {severity: 'warning|info'}
    target_matchers: ['team!="db"']
    equal: [cluster, alertname]
  - source_matchers: [a=b]
    target_matchers: [c=d]
receivers:
  - name: team
    webhook_configs:
      - url: 'http://127.0.0.1:5001/hook'
        max_alerts: 10
      - url: 'https://hooks.example/x'
        send_resolved: false
        http_config: {authorization: {credentials: tok}, tls_config: {insecure_skip_verify: true}}
    email_configs:
      - to: 'team@example.org'
        headers: {subject: 'Alert!', x-custom: y}
  - name: pager
    slack_configs:
      - channel: '#alerts'
        send_resolved: true
        fields: [{title: a, value: b, short: true}]
        actions: [{type: button, text: t, url: 'http://x'}]
    email_configs:
      - to: 'pager@example.org'
        smarthost: 'other:25'
        require_tls: false
time_intervals:
  - name: nights
    time_intervals: [{times: [{start_time: '00:00', end_time: '06:00'}], location: Europe/Paris}]
mute_time_intervals:
  - name: weekdays
    time_intervals: [{weekdays: ['monday:friday'], days_of_month: ['1:5', '-3:-1'], months: ['1:3', december], years: ['2020:2030']}]
""",
 "no_route": "receivers: [{name: x}]\n",
 "empty": "",
 "dup_receiver": R + "receivers: [{name: x}, {name: x}]\n",
 "undefined_receiver": R + "receivers: [{name: y}]\n",
 "undefined_child_receiver": "route: {receiver: x, routes: [{receiver: z}]}\nreceivers: [{name: x}]\n",
 "missing_receiver_name": R + "receivers: [{webhook_configs: [{url: 'http://a'}]}]\n",
 "no_smarthost": R + "receivers: [{name: x, email_configs: [{to: a@b}]}]\n",
 "no_from": "global: {smtp_smarthost: 'h:25'}\n" + R + "receivers: [{name: x, email_configs: [{to: a@b}]}]\n",
 "no_to": "global: {smtp_smarthost: 'h:25', smtp_from: f}\n" + R + "receivers: [{name: x, email_configs: [{from: a@b}]}]\n",
 "no_slack_url": R + "receivers: [{name: x, slack_configs: [{channel: c}]}]\n",
 "slack_both_urls": R + "receivers: [{name: x, slack_configs: [{api_url: 'http://a', api_url_file: /f}]}]\n",
 "no_webhook_url": R + "receivers: [{name: x, webhook_configs: [{max_alerts: 1}]}]\n",
 "webhook_ftp": R + "receivers: [{name: x, webhook_configs: [{url: 'ftp://a/b'}]}]\n",
 "webhook_nohost": R + "receivers: [{name: x, webhook_configs: [{url: 'http:///b'}]}]\n",
 "webhook_noscheme": R + "receivers: [{name: x, webhook_configs: [{url: 'example.com/b'}]}]\n",
 "smarthost_noport": "global: {smtp_smarthost: 'nohost'}\n" + RX,
 "smarthost_emptyport": "global: {smtp_smarthost: 'h:'}\n" + RX,
 "undefined_interval": "route: {receiver: x, routes: [{mute_time_intervals: [never]}]}\nreceivers: [{name: x}]\n",
 "undefined_active_interval": "route: {receiver: x, routes: [{active_time_intervals: [never]}]}\nreceivers: [{name: x}]\n",
 "dup_interval": RX + "time_intervals: [{name: t}, {name: t}]\n",
 "dup_mute_interval": RX + "mute_time_intervals: [{name: t}, {name: t}]\n",
 "dup_mixed_interval": RX + "mute_time_intervals: [{name: t}]\ntime_intervals: [{name: t}]\n",
 "interval_noname": RX + "time_intervals: [{time_intervals: []}]\n",
 "interval_bad_time": RX + "time_intervals: [{name: t, time_intervals: [{times: [{start_time: '10:00', end_time: '09:00'}]}]}]\n",
 "interval_bad_weekday": RX + "time_intervals: [{name: t, time_intervals: [{weekdays: ['mon']}]}]\n",
 "interval_bad_month": RX + "time_intervals: [{name: t, time_intervals: [{months: ['april:march']}]}]\n",
 "interval_bad_dom": RX + "time_intervals: [{name: t, time_intervals: [{days_of_month: ['-3:5']}]}]\n",
 "interval_bad_year": RX + "time_intervals: [{name: t, time_intervals: [{years: ['2021:2020']}]}]\n",
 "interval_bad_location": RX + "time_intervals: [{name: t, time_intervals: [{location: 'Mars/Olympus'}]}]\n",
 "root_matchers": "route: {receiver: x, matchers: [a=b]}\nreceivers: [{name: x}]\n",
 "root_no_receiver": "route: {group_by: [a]}\nreceivers: [{name: x}]\n",
 "root_continue": "route: {receiver: x, continue: true}\nreceivers: [{name: x}]\n",
 "root_mute": "route: {receiver: x, mute_time_intervals: [t]}\nreceivers: [{name: x}]\ntime_intervals: [{name: t}]\n",
 "group_by_mixed": "route: {receiver: x, group_by: ['...', a]}\nreceivers: [{name: x}]\n",
 "group_by_dup": "route: {receiver: x, group_by: [a, a]}\nreceivers: [{name: x}]\n",
 "group_by_bad": "route: {receiver: x, group_by: ['a-b']}\nreceivers: [{name: x}]\n",
 "zero_group_interval": "route: {receiver: x, group_interval: 0s}\nreceivers: [{name: x}]\n",
 "zero_repeat_interval": "route: {receiver: x, routes: [{repeat_interval: 0}]}\nreceivers: [{name: x}]\n",
 "bad_duration": "route: {receiver: x, group_wait: 5 minutes}\nreceivers: [{name: x}]\n",
 "bad_matcher": "route: {receiver: x, routes: [{matchers: ['a=~\"(\"']}]}\nreceivers: [{name: x}]\n",
 "bad_match_label": "route: {receiver: x, routes: [{match: {'a-b': c}}]}\nreceivers: [{name: x}]\n",
 "inhibit_bad_equal": RX + "inhibit_rules: [{equal: ['a-b']}]\n",
 "inhibit_bad_regex": RX + "inhibit_rules: [{source_match_re: {a: '('}}]\n",
 "inhibit_bad_label": RX + "inhibit_rules: [{target_match: {'a b': c}}]\n",
 "unknown_top": RX + "smtp: 1\n",
 "unknown_route_field": "route: {receiver: x, recevier: y}\nreceivers: [{name: x}]\n",
 "unknown_receiver_field": R + "receivers: [{name: x, webhooks: []}]\n",
 "bearer_both": R + "receivers: [{name: x, webhook_configs: [{url: 'http://a', http_config: {bearer_token: a, bearer_token_file: b}}]}]\n",
 "basic_and_bearer": R + "receivers: [{name: x, webhook_configs: [{url: 'http://a', http_config: {bearer_token: a, basic_auth: {username: u}}}]}]\n",
 "auth_basic_type": R + "receivers: [{name: x, webhook_configs: [{url: 'http://a', http_config: {authorization: {type: Basic, credentials: c}}}]}]\n",
 "dup_header": "global: {smtp_smarthost: 'h:25', smtp_from: f}\n" + R + "receivers: [{name: x, email_configs: [{to: a, headers: {subject: a, SUBJECT: b}}]}]\n",
 "slack_field_no_title": "global: {slack_api_url: 'http://s'}\n" + R + "receivers: [{name: x, slack_configs: [{fields: [{value: v}]}]}]\n",
 "slack_action_no_type": "global: {slack_api_url: 'http://s'}\n" + R + "receivers: [{name: x, slack_configs: [{actions: [{text: t, url: 'http://u'}]}]}]\n",
 "global_slack_both": "global: {slack_api_url: 'http://s', slack_api_url_file: /f}\n" + RX,
 "global_smtp_pw_both": "global: {smtp_auth_password: a, smtp_auth_password_file: /f}\n" + RX,
 "not_yaml": "route: [\n",
 "not_mapping": "- a\n- b\n",
 "templates_ok": RX + "templates: ['good/*.tmpl', 'missing/*.tmpl']\n",
 "templates_bad": RX + "templates: ['bad/*.tmpl']\n",
}

# Files whose error text comes from the YAML parser itself (yaml-cpp here,
# go-yaml there): only the verdict is compared.
SYNTAX_ERRORS = {"not_yaml"}

GOOD_TEMPLATE = (
    '{{ define "my.title" }}[{{ .Status | toUpper }}] {{ .CommonLabels.alertname | title }}{{ end }}'
    '{{ define "j" }}{{ join ", " (stringSlice "a" "b") }}{{ end }}\n'
)
BAD_TEMPLATE = '{{ define "x" }}{{ .Foo }{{ end }}\n'


def check(command, path):
    r = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL, cwd=path.parent)
    return r.returncode, r.stdout, r.stderr


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    assert AMTOOL, "amtool (Debian prometheus-alertmanager) is missing; scripts/setup.sh installs it"
    d = tmp_path_factory.mktemp("amconfig")
    (d / "good").mkdir()
    (d / "good" / "a.tmpl").write_text(GOOD_TEMPLATE)
    (d / "bad").mkdir()
    (d / "bad" / "b.tmpl").write_text(BAD_TEMPLATE)
    for name, text in CASES.items():
        (d / f"{name}.yml").write_text(text)
    return d


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_config_as_amtool(files, name):
    path = files / f"{name}.yml"
    t_rc, t_out, t_err = check([AMTOOL, "check-config"], path)
    o_rc, o_out, o_err = check([str(BINARY), "check", "alertmanager-config"], path)
    assert (o_rc == 0) == (t_rc == 0), f"amtool rc={t_rc}:\n{t_out}\nmytsdb rc={o_rc}:\n{o_out}{o_err}"
    if name in SYNTAX_ERRORS:
        assert "FAILED: yaml: " in t_out and "FAILED: yaml: " in o_out
    else:
        assert o_out == t_out
    if t_rc != 0:
        # amtool: error: ..., mytsdb: error: ...: the same one line.
        assert o_err.split(": ", 1)[1] == t_err.strip().split(": ", 1)[1] + "\n"


def test_cases_cover_both_verdicts(files):
    """Most files are invalid (one check each), and some valid ones carry
    every section: neither side passes by accepting or refusing all."""
    verdicts = [check([AMTOOL, "check-config"], files / f"{n}.yml")[0] for n in CASES]
    assert verdicts.count(0) >= 3 and verdicts.count(1) >= 40


def test_several_files_one_run(files):
    paths = [str(files / "minimal.yml"), str(files / "dup_receiver.yml"), str(files / "full.yml")]
    theirs = subprocess.run([AMTOOL, "check-config", *paths], capture_output=True, text=True, timeout=60)
    ours = subprocess.run([str(BINARY), "check", "alertmanager-config", *paths], capture_output=True, text=True,
                          timeout=60)
    assert theirs.returncode == ours.returncode == 1
    assert ours.stdout == theirs.stdout
    assert "failed to validate 1 file(s)" in ours.stderr
