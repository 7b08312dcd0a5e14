"""Checklists an operator adds without a rebuild (``--checklist-dir``), through a real
``fazhi serve`` and ``fazhi score``: a local guide is listed and used when named and never chosen
by year; a new 纲要 takes the years after 2025; a malformed file stops start-up with its file,
line and field.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import time

import pytest
import requests

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("FAZHI_BIN", REPO / "target" / "debug" / "fazhi"))
SEED = REPO / "examples" / "reports" / "2024-county-wangchuan.txt"

# The example local guide that ships for operators to copy (the engine's unit tests read it too).
GUIDE = (REPO / "examples" / "checklists" / "guide-2024.toml").read_text(encoding="utf-8")

# A successor 纲要 as an operator would add it once published: the 2021 items, new years.
NEXT = """id = "gangyao-2026-2030"
title = "法治政府建设实施纲要（2026—2030年）"
version = "2026.1"
first_year = 2026
last_year = 2030
borrow_from = "gangyao-2021-2025"
""" + "".join(
    f'\n[[areas]]\nid = "{a}"\ntitle = "领域{a}"\nborrow = [{items}]\n'
    for a, items in [
        ("2", '"4", "5", "6", "7"'),
        ("3", '"8", "9", "10"'),
        ("4", '"11", "12", "13"'),
        ("5", '"14", "15", "16", "17"'),
        ("6", '"18", "19", "20"'),
        ("7", '"21", "22", "23", "24"'),
        ("8", '"25", "26", "27", "28"'),
        ("9", '"29", "30", "31"'),
        ("10", '"32", "33", "34", "35"'),
    ]
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_with(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAZHI_")}
    env.update(FAZHI_LOG="warn", **extra)
    return env


def report_2026(tmp: pathlib.Path) -> pathlib.Path:
    text = SEED.read_text(encoding="utf-8").replace("2025", "2027").replace("2024", "2026")
    path = tmp / "2026-county.txt"
    path.write_text(text, encoding="utf-8")
    return path


def score(path: pathlib.Path, *args: str, **env) -> dict:
    out = subprocess.run([str(BIN), "score", "--format", "json", *args, str(path)], env=env_with(**env), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_year_after_the_last_checklist_is_flagged_until_a_new_one_is_added(tmp_path):
    report = report_2026(tmp_path)
    before = score(report)
    assert before["checklistId"] == "gangyao-2021-2025"
    ended = [f for f in before["findings"] if f["code"] == "CHECKLIST_PERIOD_ENDED"]
    assert ended and "2026" in ended[0]["message"] and "2025" in ended[0]["message"], ended

    d = tmp_path / "checklists"
    d.mkdir()
    (d / "gangyao-2026-2030.toml").write_text(NEXT, encoding="utf-8")
    after = score(report, FAZHI_CHECKLIST_DIR=str(d))
    assert after["checklistId"] == "gangyao-2026-2030"
    assert not [f for f in after.get("findings", []) if f["code"] == "CHECKLIST_PERIOD_ENDED"]
    # A 2024 report is still judged by the 2021—2025 纲要.
    assert score(SEED, FAZHI_CHECKLIST_DIR=str(d))["checklistId"] == "gangyao-2021-2025"


@contextlib.contextmanager
def serving(checklist_dir: pathlib.Path, **env):
    """`fazhi serve` with a checklist directory, answering on its REST port; yields the base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(BIN), "serve", "--checklist-dir", str(checklist_dir)],
        env=env_with(FAZHI_GRPC_ADDR=f"127.0.0.1:{port}", FAZHI_HTTP_ADDR=f"127.0.0.1:{free_port()}", **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(150):
            try:
                if requests.get(f"{base}/openapi.json", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_a_guide_from_the_directory_is_listed_and_used_when_named(tmp_path):
    d = tmp_path / "checklists"
    d.mkdir()
    (d / "guide.toml").write_text(GUIDE, encoding="utf-8")
    (d / "README.txt").write_text("not a checklist", encoding="utf-8")
    with serving(d) as base:
        listed = {c["id"]: c for c in requests.get(f"{base}/v1/checklists", timeout=5).json()["checklists"]}
        assert set(listed) == {"gangyao-2021-2025", "gangyao-2015-2020", "guide-2024"}
        assert listed["guide-2024"].get("byYear", False) is False
        assert listed["gangyao-2021-2025"]["byYear"] is True

        def assess(checklist: str | None, hints: dict | None = None) -> dict:
            body = {"document": {"content": __import__("base64").b64encode(SEED.read_bytes()).decode(), "filename": SEED.name}}
            if checklist:
                body["checklistId"] = checklist
            if hints:
                body["hints"] = hints
            r = requests.post(f"{base}/v1/reports:assess", json=body, timeout=30)
            assert r.ok, r.text
            return r.json()

        named = assess("guide-2024")
        assert named["checklistId"] == "guide-2024"
        assert [a["id"] for a in named["areas"]] == ["1", "2"]
        assert assess(None)["checklistId"] == "gangyao-2021-2025", "a guide is never chosen by year"

        # The guide's deadline rules are listed, and time a department's report by the guide's
        # stricter rule when the request names the guide; the 纲要 keeps the 督察规定's 4月1日.
        assert [d["before"] for d in listed["guide-2024"]["deadlines"]] == ["03-01", "04-01"]
        assert listed["guide-2024"]["deadlines"][0]["levels"] == ["department"]
        dept = {"issuer": "某市司法局", "year": 2024, "publishedDate": "2025-03-10"}
        strict = assess("guide-2024", dept)["timeliness"]
        assert (strict["deadline"], strict["status"]) == ("2025-02-28", "LATE"), strict
        assert strict["rule"].startswith("某市指引：市直部门"), strict["rule"]
        default = assess(None, dept)["timeliness"]
        assert (default["deadline"], default["status"]) == ("2025-03-31", "ON_TIME"), default
        assert default["rule"].startswith("督察规定第二十四条"), default["rule"]


def test_a_tenant_is_judged_by_its_own_guide_and_deadlines(tmp_path):
    """A platform whose province sets stricter deadlines names its guide once, in the auth file."""
    import hashlib

    d = tmp_path / "checklists"
    d.mkdir()
    (d / "guide.toml").write_text(GUIDE, encoding="utf-8")
    digest = lambda k: hashlib.sha256(k.encode()).hexdigest()  # noqa: E731
    auth = tmp_path / "auth.toml"
    auth.write_text(
        f'[[tenant]]\nname = "province"\nkey_sha256 = ["{digest("key-p")}"]\nchecklist = "guide-2024"\n\n'
        f'[[tenant]]\nname = "other"\nkey_sha256 = ["{digest("key-o")}"]\n',
        encoding="utf-8",
    )
    with serving(d, FAZHI_AUTH_FILE=str(auth)) as base:
        body = {
            "document": {"content": __import__("base64").b64encode(SEED.read_bytes()).decode(), "filename": SEED.name},
            "hints": {"issuer": "某市司法局", "year": 2024, "publishedDate": "2025-03-10"},
        }

        def assess(key: str, **extra) -> dict:
            r = requests.post(
                f"{base}/v1/reports:assess", json={**body, **extra}, headers={"Authorization": f"Bearer {key}"}, timeout=30
            )
            assert r.ok, r.text
            return r.json()

        mine = assess("key-p")
        assert mine["checklistId"] == "guide-2024"
        assert (mine["timeliness"]["deadline"], mine["timeliness"]["status"]) == ("2025-02-28", "LATE")
        # A request that names a checklist keeps it.
        assert assess("key-p", checklistId="gangyao-2021-2025")["timeliness"]["status"] == "ON_TIME"
        theirs = assess("key-o")
        assert theirs["checklistId"] == "gangyao-2021-2025"
        assert (theirs["timeliness"]["deadline"], theirs["timeliness"]["status"]) == ("2025-03-31", "ON_TIME")

    # A tenant naming a checklist that is not loaded stops start-up and says which.
    bad = subprocess.run(
        [str(BIN), "serve"],
        env=env_with(
            FAZHI_GRPC_ADDR=f"127.0.0.1:{free_port()}",
            FAZHI_HTTP_ADDR=f"127.0.0.1:{free_port()}",
            FAZHI_AUTH_FILE=str(auth),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0
    assert "guide-2024" in bad.stderr + bad.stdout


@pytest.mark.parametrize(
    "change, line, field",
    [
        (lambda t: t.replace("first_year = 2024\n", ""), 1, "first_year"),
        (lambda t: t.replace('last_year = 2026', 'last_year = "2026"'), 5, "last_year"),
        (lambda t: t.replace('borrow = ["4", "5"]', 'borrow = ["4", "99"]'), 10, "areas.borrow"),
    ],
)
def test_a_malformed_checklist_stops_start_up_with_file_line_and_field(tmp_path, change, line, field):
    d = tmp_path / "checklists"
    d.mkdir()
    bad = d / "guide.toml"
    bad.write_text(change(GUIDE), encoding="utf-8")
    out = subprocess.run(
        [str(BIN), "serve"],
        env=env_with(FAZHI_CHECKLIST_DIR=str(d), FAZHI_GRPC_ADDR=f"127.0.0.1:{free_port()}", FAZHI_HTTP_ADDR="off"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode != 0
    assert f"{bad}:{line}: {field}: " in out.stderr, out.stderr


RULES = (REPO / "workers" / "engine" / "checklists" / "report-rules.toml").read_text(encoding="utf-8")


def test_report_rules_from_the_directory_replace_the_built_in_ones(tmp_path):
    """An operator's report-rules.toml (a local publication rule, other grade bands) takes over."""
    d = tmp_path / "checklists"
    d.mkdir()
    default = json.loads(subprocess.run(
        [str(BIN), "score", "--format", "json", str(SEED)], env=env_with(), capture_output=True, text=True, check=True
    ).stdout)
    assert default["timeliness"]["rule"].startswith("督察规定第二十四条")
    local = RULES.replace('version = "rules.', 'version = "local-rules.', 1).replace(
        'rule_publication = "督察规定第二十四条：', 'rule_publication = "某省实施办法：', 1
    )
    assert local != RULES
    (d / "report-rules.toml").write_text(local, encoding="utf-8")
    out = subprocess.run(
        [str(BIN), "score", "--format", "json", "--checklist-dir", str(d), str(SEED)],
        env=env_with(), capture_output=True, text=True, check=True,
    )
    a = json.loads(out.stdout)
    assert a["timeliness"]["rule"].startswith("某省实施办法："), a["timeliness"]["rule"]
    assert "local-rules." in a["checklistVersion"], a["checklistVersion"]
    assert a["score"] == default["score"], "only the wording of the rule changed"

    # A malformed rules file stops start-up with its file, line and field.
    (d / "report-rules.toml").write_text(local.replace("timeliness_max = 10.0", 'timeliness_max = "ten"'), encoding="utf-8")
    bad = subprocess.run(
        [str(BIN), "score", "--checklist-dir", str(d), str(SEED)], env=env_with(), capture_output=True, text=True
    )
    line = next(i for i, l in enumerate(local.splitlines(), 1) if l.startswith("timeliness_max"))
    assert bad.returncode != 0
    assert f"{d / 'report-rules.toml'}:{line}: timeliness_max: " in bad.stderr, bad.stderr
