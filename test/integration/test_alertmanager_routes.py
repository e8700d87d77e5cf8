"""Alertmanager's routing tree against amtool 0.25 (Debian's
prometheus-alertmanager): the same configuration files give the same tree
(`amtool config routes` / `mytsdb alertmanager routes`) and send the same
alerts to the same receivers (`amtool config routes test` / `mytsdb
alertmanager routes test`), over trees with `continue`, nesting, inherited
options, legacy `match`/`match_re` and `matchers` with quoting.
"""
import shutil
import subprocess

import pytest

from conftest import BINARY

AMTOOL = shutil.which("amtool")

CONFIGS = {
    "teams": """
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['severity="page"']
      receiver: pager
      continue: true
    - match: {team: db}
      receiver: db
      routes:
        - match_re: {service: "mysql|pg"}
          receiver: db-sql
        - matchers: ['service!~"mysql|pg"', env=prod]
          receiver: db-other-prod
    - matchers: [team=~"front.*", env!="dev"]
      receiver: frontend
      continue: true
    - matchers: ['team=~"front.*|back.*"']
      receiver: web
receivers: [{name: default}, {name: pager}, {name: db}, {name: db-sql}, {name: db-other-prod}, {name: frontend}, {name: web}]
""",
    "quoting": """
route:
  receiver: fallback
  routes:
    - matchers: ['msg="a, b"', 'x=~"1|2"']
      receiver: comma
    - matchers: ['path="C:\\\\dir"']
      receiver: backslash
    - matchers: [' spaced =  yes ']
      receiver: spaced
      routes:
        - matchers: ['deep!=""']
          receiver: deep
          continue: true
        - matchers: ['deep=~".+"']
          receiver: deeper
receivers: [{name: fallback}, {name: comma}, {name: backslash}, {name: spaced}, {name: deep}, {name: deeper}]
""",
}

LABEL_SETS = [
    ["severity=page", "team=db", "service=pg"],
    ["severity=page", "team=db", "service=redis", "env=prod"],
    ["team=db", "service=redis", "env=dev"],
    ["team=db"],
    ["team=frontend", "env=prod"],
    ["team=frontend", "env=dev"],
    ["team=backend"],
    ["severity=page"],
    ["severity=ticket", "team=frontend-x"],
    ["alertname=x"],
    ['msg=a, b', "x=2"],
    ['msg=a, b', "x=3"],
    ['path=C:\\dir'],
    ["spaced=yes"],
    ["spaced=yes", "deep=1"],
    ["spaced=yes", "deep="],
]


def run(command):
    r = subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.strip()


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_routes_as_amtool_routes(tmp_path, name):
    assert AMTOOL, "amtool (Debian prometheus-alertmanager) is missing; scripts/setup.sh installs it"
    path = tmp_path / f"{name}.yml"
    path.write_text(CONFIGS[name])
    theirs = run([AMTOOL, "config", "routes", "--config.file", str(path)])
    ours = run([str(BINARY), "alertmanager", "routes", "--config.file", str(path)])
    assert theirs[0] == 0 and ours == theirs, f"amtool:\n{theirs[1]}\nmytsdb:\n{ours[1]}"
    routed = 0
    for labels in LABEL_SETS:
        theirs = run([AMTOOL, "config", "routes", "test", "--config.file", str(path), *labels])
        ours = run([str(BINARY), "alertmanager", "routes", "test", "--config.file", str(path), *labels])
        assert ours == theirs, f"{labels}: amtool {theirs}, mytsdb {ours}"
        routed += theirs[1] not in ("default", "fallback")
    # Most alerts go somewhere other than the root: the comparison has content.
    assert routed >= len(LABEL_SETS) // 3
