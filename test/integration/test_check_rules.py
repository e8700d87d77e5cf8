"""`mytsdb check rules` against `promtool check rules` (Debian's Prometheus
2.42) on the rule files in rule_files/: the same verdict and exit code for
each file, and the same problems (as promtool prints them, with two
normalizations: PromQL parse errors are compared up to their position, as
the two parsers word some errors differently; YAML syntax errors are
compared as such, as the two YAML libraries word them differently).

Names are checked with --name-validation=legacy, Prometheus 2's charset;
the default, UTF-8 names as in Prometheus 3, is tested on its own, and so is
the one file whose verdict differs on purpose (Prometheus 3's group fields
`query_offset` and `labels`, which 2.42 does not know).
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BINARY

RULE_FILES = Path(__file__).parent / "rule_files"
NEWER_THAN_242 = {"newer_query_offset.yml"}



def run(command, name):
    r = subprocess.run(command + [name], cwd=RULE_FILES, capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout + r.stderr


def problems(output):
    """The problem lines of a check's output, normalized; a line of
    "yaml: unmarshal errors:" keeps the lines under it."""
    found = set()
    lines = output.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line or line.startswith("Checking ") or line.strip() in ("FAILED:",) or "SUCCESS:" in line:
            continue
        if line.endswith("yaml: unmarshal errors:"):
            while i < len(lines) and lines[i].startswith("  line "):
                line += "\n" + lines[i]
                i += 1
        line = re.sub(r"(could not parse expression: \d+:\d+: parse error:).*", r"\1 ...", line)
        line = re.sub(r"yaml: line \d+: .*", "yaml: syntax error", line)
        found.add(line)
    return found


def test_corpus_has_valid_and_invalid_files():
    names = sorted(p.name for p in RULE_FILES.glob("*.yml"))
    assert len([n for n in names if n.startswith("valid_")]) >= 4
    assert len([n for n in names if n.startswith("bad_")]) >= 12


@pytest.mark.parametrize("name", sorted(p.name for p in RULE_FILES.glob("*.yml") if p.name not in NEWER_THAN_242))
def test_same_verdict_and_problems_as_promtool(name):
    want_code, want_out = run(["promtool", "check", "rules"], name)
    got_code, got_out = run([str(BINARY), "check", "rules", "--name-validation=legacy"], name)
    assert got_code == want_code, (want_out, got_out)
    assert want_code == (0 if name.startswith("valid_") else 1), want_out
    want, got = problems(want_out), problems(got_out)
    assert got == want, f"promtool:\n{want_out}\nmytsdb:\n{got_out}"
    if want_code == 0:
        count = re.search(r"SUCCESS: (\d+) rules found", want_out).group(1)
        assert f"SUCCESS: {count} rules found" in got_out
    else:
        assert want  # a failing file names at least one problem


def test_prometheus_3_group_fields_are_accepted():
    code, out = run(["promtool", "check", "rules"], "newer_query_offset.yml")
    assert code == 1 and "field query_offset not found in type rulefmt.RuleGroup" in out
    code, out = run([str(BINARY), "check", "rules"], "newer_query_offset.yml")
    assert code == 0 and "SUCCESS: 1 rules found" in out, out


def test_utf8_names_by_default():
    # Prometheus 3 accepts any UTF-8 label, annotation and metric name but
    # __name__ as a rule label.
    code, out = run([str(BINARY), "check", "rules"], "bad_label_names.yml")
    assert code == 1
    assert problems(out) == {'bad_label_names.yml: group "g", rule 1, "A": invalid label name: __name__'}, out
    code, out = run([str(BINARY), "check", "rules"], "bad_recording_fields.yml")
    assert "invalid recording rule name" not in out and "invalid field 'for'" in out


def test_several_files_and_a_missing_one(tmp_path):
    r = subprocess.run([str(BINARY), "check", "rules", "valid_basic.yml", "no_such_file.yml", "valid_empty_file.yml"],
                       cwd=RULE_FILES, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert r.stdout.count("SUCCESS") == 2
    assert "no_such_file.yml: open no_such_file.yml: No such file or directory" in r.stderr
    r = subprocess.run([str(BINARY), "check", "rules", str(tmp_path)], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and "is a directory" in r.stderr
    r = subprocess.run([str(BINARY), "check", "rules"], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode != 0
