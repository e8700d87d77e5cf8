"""MyTSDB's Alertmanager against Alertmanager 0.25 (Debian's
prometheus-alertmanager), both on 127.0.0.1 with the same configuration
and the same scripted alert stream.

One configuration holds every scenario: each is a route under the root,
selected by the label `scenario`, with its own receivers (webhook paths
/<scenario>/...), timers, grouping, inhibition rules, time intervals and
silences. The script posts the same alerts (and creates the same silences)
to both at the same moments; the recording webhook then holds, for each
path, the notifications each sent. They must be equal in order and content
(receiver, group key and labels, common labels and annotations, and each
alert's status, labels, annotations, fingerprint and generator URL), and
each notification must arrive within TIME_TOLERANCE seconds of its twin.

Timers are short (group_wait 1s, group_interval 4s) and the script acts
halfway between the groups' ticks, so that scheduling jitter cannot move an
alert from one flush to another.
"""
import datetime
import time
import zoneinfo

import pytest
import requests
import json

from am_helpers import EXTERNAL_URL, MytsdbAlertmanager, RealAlertmanager, Recorder, post_alerts, summary

TIME_TOLERANCE = 0.6  # seconds between twin notifications
END = 24.0            # seconds the script runs

NOW = datetime.datetime.now(datetime.timezone.utc)
SYDNEY_DAY = NOW.astimezone(zoneinfo.ZoneInfo("Australia/Sydney")).strftime("%A").lower()
OTHER_DAY = (NOW.astimezone(zoneinfo.ZoneInfo("Australia/Sydney")) + datetime.timedelta(days=3)).strftime("%A").lower()


def A(name, scenario, **labels):
    """An alert's labels."""
    return {"alertname": name, "scenario": scenario, **labels}


# Each scenario: its route (matchers on `scenario` added), extra receivers
# (name -> number of webhooks), inhibit rules, and steps (time, action, arg).
#   ("fire", [labels, ...])            post firing alerts (no end)
#   ("fire_ann", [(labels, annotations, generatorURL), ...])
#   ("fire_old", [labels, ...])        started an hour ago
#   ("resolve", [labels, ...])         post with endsAt = now
#   ("silence", [matcher, ...])        create a silence for an hour
#   ("expire_silences", scenario)      expire that scenario's silences
S = {}

S["single"] = dict(route={"group_by": ["alertname"]}, steps=[(0, "fire", [A("A", "single")])])
S["batched"] = dict(route={"group_by": ["alertname"]},
                    steps=[(0, "fire", [A("A", "batched", i="1"), A("A", "batched", i="2")])])
S["two_groups"] = dict(route={"group_by": ["alertname", "cluster"]},
                       steps=[(0, "fire", [A("A", "two_groups", cluster="x"), A("A", "two_groups", cluster="y")])])
S["by_all"] = dict(route={"group_by": ["..."]},
                   steps=[(0, "fire", [A("A", "by_all", i="1"), A("A", "by_all", i="2")])])
S["by_nothing"] = dict(route={"group_by": []},
                       steps=[(0, "fire", [A("A", "by_nothing"), A("B", "by_nothing")])])
S["resolved"] = dict(route={"group_by": ["alertname"]},
                     steps=[(0, "fire", [A("A", "resolved")]), (6.5, "resolve", [A("A", "resolved")])])
S["no_send_resolved"] = dict(route={"group_by": ["alertname"]}, send_resolved=False,
                             steps=[(0, "fire", [A("A", "no_send_resolved")]),
                                    (6.5, "resolve", [A("A", "no_send_resolved")])])
S["repeat"] = dict(route={"group_by": ["alertname"], "repeat_interval": "6s"},
                   steps=[(t, "fire", [A("A", "repeat")]) for t in (0, 6.5, 10.5, 14.5, 18.5)])
S["joins_group"] = dict(route={"group_by": ["alertname"]},
                        steps=[(0, "fire", [A("A", "joins_group", i="1")]),
                               (2.5, "fire", [A("A", "joins_group", i="1"), A("A", "joins_group", i="2")])])
S["one_of_two_resolves"] = dict(route={"group_by": ["alertname"]},
                                steps=[(0, "fire", [A("A", "one_of_two_resolves", i="1"),
                                                    A("A", "one_of_two_resolves", i="2")]),
                                       (6.5, "resolve", [A("A", "one_of_two_resolves", i="1")]),
                                       (6.5, "fire", [A("A", "one_of_two_resolves", i="2")])])
S["flapping"] = dict(route={"group_by": ["alertname"]},
                     steps=[(0, "fire", [A("A", "flapping")]), (2.5, "resolve", [A("A", "flapping")]),
                            (6.5, "fire", [A("A", "flapping")]), (10.5, "resolve", [A("A", "flapping")]),
                            (14.5, "fire", [A("A", "flapping")])])
S["continue"] = dict(route={"group_by": ["alertname"],
                            "routes": [{"matchers": ["severity=page"], "receiver": "pager", "continue": True},
                                       {"matchers": ["team=db"], "receiver": "db"}]},
                     receivers={"pager": 1, "db": 1},
                     steps=[(0, "fire", [A("A", "continue", severity="page", team="db"),
                                         A("B", "continue", team="db"), A("C", "continue")])])
S["first_match"] = dict(route={"group_by": ["alertname"],
                               "routes": [{"matchers": ["team=~\"d.*\""], "receiver": "d"},
                                          {"matchers": ["team=db"], "receiver": "db"}]},
                        receivers={"d": 1, "db": 1}, steps=[(0, "fire", [A("A", "first_match", team="db")])])
S["nested"] = dict(route={"group_by": ["alertname"],
                          "routes": [{"matchers": ["team=db"], "receiver": "db", "group_by": ["alertname", "env"],
                                      "routes": [{"matchers": ["env=prod"], "receiver": "prod"}]}]},
                   receivers={"db": 1, "prod": 1},
                   steps=[(0, "fire", [A("A", "nested", team="db", env="prod"), A("A", "nested", team="db", env="dev")])])
S["match_re"] = dict(route={"group_by": ["alertname"],
                            "routes": [{"match_re": {"service": "mysql|pg"}, "receiver": "sql"},
                                       {"match": {"service": "redis"}, "receiver": "kv"}]},
                     receivers={"sql": 1, "kv": 1},
                     steps=[(0, "fire", [A("A", "match_re", service="pg"), A("A", "match_re", service="redis"),
                                         A("A", "match_re", service="pgx")])])
S["negative_matchers"] = dict(route={"group_by": ["alertname"],
                                     "routes": [{"matchers": ["env!=dev", "team!~\"x.*\""], "receiver": "n"}]},
                              receivers={"n": 1},
                              steps=[(0, "fire", [A("A", "negative_matchers", env="prod", team="y"),
                                                  A("B", "negative_matchers", env="dev"),
                                                  A("C", "negative_matchers", team="xa")])])
S["silenced_first"] = dict(route={"group_by": ["alertname"]},
                           steps=[(0, "silence", ['scenario="silenced_first"', 'alertname="A"']),
                                  (0.3, "fire", [A("A", "silenced_first"), A("B", "silenced_first")])])
S["silence_one_of_group"] = dict(route={"group_by": []},
                                 steps=[(0, "silence", ['scenario="silence_one_of_group"', 'i=~"1|3"']),
                                        (0.3, "fire", [A("A", "silence_one_of_group", i=str(i)) for i in range(1, 5)])])
S["silence_later"] = dict(route={"group_by": ["alertname"], "repeat_interval": "6s"},
                          steps=[(0, "fire", [A("A", "silence_later")]),
                                 (2.5, "silence", ['scenario="silence_later"']),
                                 (6.5, "fire", [A("A", "silence_later")]),
                                 (10.5, "fire", [A("A", "silence_later")])])
S["silence_expired"] = dict(route={"group_by": ["alertname"], "repeat_interval": "6s"},
                            steps=[(0, "silence", ['scenario="silence_expired"']),
                                   (0.3, "fire", [A("A", "silence_expired")]),
                                   (6.5, "expire_silences", "silence_expired"),
                                   (10.5, "fire", [A("A", "silence_expired")])])
S["inhibited"] = dict(route={"group_by": ["alertname", "cluster"]},
                      inhibit=[{"source_matchers": ["severity=critical"], "target_matchers": ["severity=warning"],
                                "equal": ["cluster"]}],
                      steps=[(0, "fire", [A("Down", "inhibited", severity="critical", cluster="a"),
                                          A("Slow", "inhibited", severity="warning", cluster="a"),
                                          A("Slow", "inhibited", severity="warning", cluster="b")])])
S["inhibit_source_resolves"] = dict(route={"group_by": ["alertname"]},
                                    inhibit=[{"source_matchers": ["severity=critical"],
                                              "target_matchers": ["severity=warning"]}],
                                    steps=[(0, "fire", [A("Down", "inhibit_source_resolves", severity="critical"),
                                                        A("Slow", "inhibit_source_resolves", severity="warning")]),
                                           (6.5, "resolve", [A("Down", "inhibit_source_resolves", severity="critical")]),
                                           (6.5, "fire", [A("Slow", "inhibit_source_resolves", severity="warning")])])
S["inhibit_both_sides"] = dict(route={"group_by": ["alertname"]},
                               inhibit=[{"source_matchers": ["severity=~\"critical|warning\""],
                                         "target_matchers": ["severity=~\"warning|info\""]}],
                               steps=[(0, "fire", [A("W", "inhibit_both_sides", severity="warning"),
                                                   A("I", "inhibit_both_sides", severity="info")])])
S["mute_now"] = dict(route={"group_by": ["alertname"], "mute_time_intervals": ["always"]},
                     steps=[(0, "fire", [A("A", "mute_now")])])
S["mute_never"] = dict(route={"group_by": ["alertname"], "mute_time_intervals": ["never"]},
                       steps=[(0, "fire", [A("A", "mute_never")])])
S["active_now"] = dict(route={"group_by": ["alertname"], "active_time_intervals": ["today_sydney"]},
                       steps=[(0, "fire", [A("A", "active_now")])])
S["active_never"] = dict(route={"group_by": ["alertname"], "active_time_intervals": ["other_day_sydney", "never"]},
                         steps=[(0, "fire", [A("A", "active_never")])])
S["max_alerts"] = dict(route={"group_by": []}, max_alerts=2,
                       steps=[(0, "fire", [A("A", "max_alerts", i=str(i)) for i in range(5)])])
S["old_alert"] = dict(route={"group_by": ["alertname"], "group_wait": "3s"},
                      steps=[(0, "fire_old", [A("A", "old_alert")]), (2.5, "fire", [A("A", "old_alert", i="2")])])
S["annotations"] = dict(route={"group_by": ["alertname"]},
                        steps=[(0, "fire_ann", [(A("A", "annotations", i="1"), {"summary": "s", "x": "1"}, "http://g/1"),
                                                (A("A", "annotations", i="2"), {"summary": "s", "x": "2"}, "http://g/2")])])
S["fanout"] = dict(route={"group_by": ["alertname"]}, webhooks=2, steps=[(0, "fire", [A("A", "fanout")])])
S["own_group_wait"] = dict(route={"group_by": ["alertname"], "group_wait": "3s"},
                           steps=[(0, "fire", [A("A", "own_group_wait")]),
                                  (2.5, "fire", [A("A", "own_group_wait", i="late")])])
S["all_resolved"] = dict(route={"group_by": []},
                         steps=[(0, "fire", [A("A", "all_resolved"), A("B", "all_resolved")]),
                                (6.5, "resolve", [A("A", "all_resolved"), A("B", "all_resolved")])])
S["quoting"] = dict(route={"group_by": ["alertname", "msg"]},
                    steps=[(0, "fire", [A("A", "quoting", msg='say "hi"\\ é'), A("A", "quoting", msg="a, b")])])

# Slack: the receiver posts to the recorder as if it were Slack's webhook;
# the two payloads must be equal (MyTSDB's default templates produce what
# Alertmanager's do; user templates run on the same data).
S["slack_default"] = dict(route={"group_by": ["alertname"]}, slack={"send_resolved": True},
                          steps=[(0, "fire_ann", [(A("A", "slack_default", instance="i1"), {"summary": "s1"}, "http://g")]),
                                 (6.5, "resolve", [A("A", "slack_default", instance="i1")])])
S["slack_custom"] = dict(
    route={"group_by": ["alertname"]},
    slack={"channel": "#ops", "username": "{{ .Receiver }}-bot", "icon_emoji": ":fire:", "link_names": True,
           "color": '{{ if eq .Status "firing" }}#ff0000{{ else }}#00ff00{{ end }}',
           "title": "{{ .CommonLabels.alertname | toUpper }} {{ .Status | title }} {{ len .Alerts.Firing }}",
           "text": '{{ range .Alerts }}*{{ .Labels.instance }}*: {{ .Annotations.summary }} '
                   '({{ .Labels.SortedPairs.Values | join ", " }}){{ "\n" }}{{ end }}',
           "fields": [{"title": "Severity", "value": "{{ .CommonLabels.severity }}", "short": True},
                      {"title": "Hosts", "value": '{{ range .Alerts }}{{ .Labels.instance }} {{ end }}'}],
           "actions": [{"type": "button", "text": "Runbook", "url": "http://runbook/{{ .GroupLabels.alertname }}"}],
           "mrkdwn_in": ["text"], "footer": "{{ template \"my.footer\" . }}", "short_fields": False},
    steps=[(0, "fire_ann", [(A("Disk", "slack_custom", instance="db1", severity="page"), {"summary": "<b>full</b> & more"}, ""),
                            (A("Disk", "slack_custom", instance="db2", severity="page"), {"summary": "90%"}, "")])])
S["slack_many"] = dict(route={"group_by": []}, slack={"title": "{{ template \"my.title\" . }}"},
                       steps=[(0, "fire", [A(n, "slack_many", team="x") for n in ("A", "B", "C")]),
                              (6.5, "resolve", [A("B", "slack_many", team="x")]),
                              (6.5, "fire", [A("A", "slack_many", team="x"), A("C", "slack_many", team="x")])])

TEMPLATES = """{{ define "my.footer" }}{{ .ExternalURL }} {{ .Receiver }} {{ .CommonLabels.Names | join "," }}{{ end }}
{{ define "my.title" }}{{ template "__subject" . }} / {{ range .Alerts.Firing }}{{ .Labels.alertname }}{{ end }}{{ end }}
"""

TIME_INTERVALS = [
    {"name": "always", "time_intervals": [{"years": ["2000:2200"]}]},
    {"name": "never", "time_intervals": [{"years": ["2001"]}]},
    {"name": "today_sydney", "time_intervals": [{"weekdays": [SYDNEY_DAY], "location": "Australia/Sydney"}]},
    {"name": "other_day_sydney", "time_intervals": [{"weekdays": [OTHER_DAY], "location": "Australia/Sydney"}]},
]


def build_config(recorder):
    receivers = [{"name": "fallback", "webhook_configs": [{"url": recorder.url("/fallback")}]}]
    routes, inhibit = [], []
    for name, sc in S.items():
        hooks = []
        if "slack" in sc:
            receivers.append({"name": f"{name}-main",
                              "slack_configs": [{"api_url": recorder.url(f"/{name}/slack/0"), **sc["slack"]}]})
        for i in range(0 if "slack" in sc else sc.get("webhooks", 1)):
            hook = {"url": recorder.url(f"/{name}/main/{i}")}
            if "send_resolved" in sc:
                hook["send_resolved"] = sc["send_resolved"]
            if "max_alerts" in sc:
                hook["max_alerts"] = sc["max_alerts"]
            hooks.append(hook)
        if hooks:
            receivers.append({"name": f"{name}-main", "webhook_configs": hooks})
        for extra, n in sc.get("receivers", {}).items():
            receivers.append({"name": f"{name}-{extra}",
                              "webhook_configs": [{"url": recorder.url(f"/{name}/{extra}/{i}")} for i in range(n)]})
        route = dict(sc["route"])
        route["matchers"] = [f'scenario="{name}"']
        route["receiver"] = f"{name}-main"

        def rename(r):
            for child in r.get("routes", []):
                child["receiver"] = f"{name}-{child['receiver']}"
                rename(child)
        route = json.loads(json.dumps(route))  # a copy
        rename(route)
        routes.append(route)
        for rule in sc.get("inhibit", []):
            rule = dict(rule)
            rule["source_matchers"] = rule["source_matchers"] + [f'scenario="{name}"']
            rule["target_matchers"] = rule["target_matchers"] + [f'scenario="{name}"']
            inhibit.append(rule)
    return {
        "route": {"receiver": "fallback", "group_wait": "1s", "group_interval": "4s", "repeat_interval": "1h",
                  "routes": routes},
        "receivers": receivers,
        "inhibit_rules": inhibit,
        "time_intervals": TIME_INTERVALS,
    }


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def run_script(urls):
    t0 = time.time()
    steps = sorted(((t, name, action, arg) for name, sc in S.items() for (t, action, arg) in sc["steps"]),
                   key=lambda s: s[0])
    silences = {url: {} for url in urls}  # url -> scenario -> [ids]
    for t, name, action, arg in steps:
        time.sleep(max(0.0, t0 + t - time.time()))
        now = time.time()
        for url in urls:
            if action in ("fire", "fire_old", "resolve", "fire_ann"):
                alerts = []
                for item in arg:
                    if action == "fire_ann":
                        labels, annotations, generator = item
                        alerts.append({"labels": labels, "annotations": annotations, "generatorURL": generator})
                    elif action == "fire_old":
                        alerts.append({"labels": item, "startsAt": rfc3339(now - 3600)})
                    elif action == "resolve":
                        alerts.append({"labels": item, "endsAt": rfc3339(now)})
                    else:
                        alerts.append({"labels": item})
                r = post_alerts(url, alerts)
                assert r.status_code == 200, (url, r.status_code, r.text)
            elif action == "silence":
                matchers = []
                for m in arg:
                    n, v = m.split("=", 1)
                    regex = v.startswith("~")
                    matchers.append({"name": n, "value": v[1:].strip('"') if regex else v.strip('"'),
                                     "isRegex": regex, "isEqual": True})
                r = requests.post(url + "/api/v2/silences", timeout=10, json={
                    "matchers": matchers, "startsAt": rfc3339(now), "endsAt": rfc3339(now + 3600),
                    "createdBy": "test", "comment": name})
                assert r.status_code == 200, (url, r.status_code, r.text)
                silences[url].setdefault(name, []).append(r.json()["silenceID"])
            elif action == "expire_silences":
                for sid in silences[url].get(arg, []):
                    r = requests.delete(url + f"/api/v2/silence/{sid}", timeout=10)
                    assert r.status_code == 200, (url, r.status_code, r.text)
    time.sleep(max(0.0, t0 + END - time.time()))
    return t0


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    d = tmp_path_factory.mktemp("amdiff")
    ours_rec, theirs_rec = Recorder(), Recorder()
    (d / "tmpl").mkdir()
    (d / "tmpl" / "mine.tmpl").write_text(TEMPLATES)
    for name, rec in (("ours", ours_rec), ("theirs", theirs_rec)):
        config = build_config(rec)
        config["templates"] = [str(d / "tmpl" / "*.tmpl")]
        (d / f"{name}.yml").write_text(json.dumps(config, indent=1))
    theirs = RealAlertmanager(d / "theirs.yml", d / "theirs-data")
    ours = MytsdbAlertmanager(d / "ours.yml", d / "ours-data")
    try:
        t0 = run_script([ours.url, theirs.url])
        yield t0, ours_rec, theirs_rec
    finally:
        ours.stop()
        theirs.stop()
        ours_rec.close()
        theirs_rec.close()


def by_path(recorder, t0):
    """Notifications by (path, group key), in order: groups that flush at
    the same moment notify concurrently, in no defined order."""
    out = {}
    for post in sorted(recorder.posts, key=lambda p: p[0]):
        if "/slack/" in post[1]:  # one group per Slack scenario; the whole payload
            out.setdefault((post[1], "slack"), []).append((post[0] - t0, post[2]))
            continue
        s = summary(post)
        out.setdefault((post[1], s["groupKey"]), []).append((post[0] - t0, s))
    return out


@pytest.mark.parametrize("scenario", sorted(S))
def test_same_notifications(both, scenario):
    t0, ours_rec, theirs_rec = both
    ours = {p: n for p, n in by_path(ours_rec, t0).items() if p[0].startswith(f"/{scenario}/")}
    theirs = {p: n for p, n in by_path(theirs_rec, t0).items() if p[0].startswith(f"/{scenario}/")}
    assert sorted(ours) == sorted(theirs), f"paths: mytsdb {sorted(ours)}, alertmanager {sorted(theirs)}"
    for path in theirs:
        o = [s for _, s in ours[path]]
        t = [s for _, s in theirs[path]]
        assert o == t, f"{path}:\nmytsdb:       {o}\nalertmanager: {t}"
        for (ot, _), (tt, _) in zip(ours[path], theirs[path]):
            assert abs(ot - tt) <= TIME_TOLERANCE, f"{path}: at {ot:.2f}s, Alertmanager at {tt:.2f}s"


def test_scenarios_carry_data(both):
    """Most scenarios notify something (a comparison of two silences
    proves little), the muting ones nothing, and nothing falls through to
    the root."""
    t0, ours_rec, theirs_rec = both
    theirs = by_path(theirs_rec, t0)
    notified = {p[0].split("/")[1] for p in theirs}
    assert len(S) >= 30
    assert len(notified) >= len(S) - 3, sorted(set(S) - notified)
    assert not set(notified) & {"mute_now", "active_never"}
    assert not [p for p in list(theirs) + list(by_path(ours_rec, t0)) if p[0] == "/fallback"]
    assert all(s["externalURL"] == EXTERNAL_URL for p, n in theirs.items() if p[1] != "slack" for _, s in n)
