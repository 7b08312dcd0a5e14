"""The Python foreign client against a real ``fazhi serve`` (embedded mode, free loopback ports).

The binary comes from ``FAZHI_BIN`` (default ``target/debug/fazhi``); the reports are the
project's own examples (``examples/reports``). A missing binary or example is a failure, never a
skip.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import time
import urllib.request
import uuid

import grpc
import pytest

import client

REPO = client.REPO
BIN = pathlib.Path(os.environ.get("FAZHI_BIN", REPO / "target" / "debug" / "fazhi"))
EXAMPLES = REPO / "examples" / "reports"
SEED = EXAMPLES / "2024-county-wangchuan.txt"
SEED_2020 = EXAMPLES / "2020-city-nanyu.txt"
SEED_HTML = EXAMPLES / "2024-street-chaoyin.html"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_inputs():
    assert BIN.is_file(), f"fazhi binary not found at {BIN} (build it or set FAZHI_BIN)"
    assert SEED.is_file(), f"example reports not found at {EXAMPLES}"


@pytest.fixture(scope="module")
def server():
    require_inputs()
    grpc_port, http_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAZHI_")}
    env.update(
        FAZHI_GRPC_ADDR=f"127.0.0.1:{grpc_port}",
        FAZHI_HTTP_ADDR=f"127.0.0.1:{http_port}",
        FAZHI_WORKERS="2",
        FAZHI_LOG="warn",
    )
    proc = subprocess.Popen(
        [str(BIN), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    target = f"127.0.0.1:{grpc_port}"
    channel = grpc.insecure_channel(target)
    try:
        grpc.channel_ready_future(channel).result(timeout=30)
    except grpc.FutureTimeoutError:
        proc.kill()
        out = proc.communicate()[0].decode(errors="replace")
        pytest.fail(f"fazhi serve did not come up on {target}:\n{out}")
    finally:
        channel.close()
    info = {"target": target, "http": f"http://127.0.0.1:{http_port}", "proc": proc}
    yield info
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("fazhi serve did not stop within 30 s of SIGTERM")
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    assert rc == 0, f"fazhi serve exited {rc} after SIGTERM:\n{out}"


@pytest.fixture(scope="module")
def stub(server):
    channel, stub = client.connect(server["target"])
    with channel:
        yield stub


def test_submit_watch_assess(stub):
    job, final, assessment = client.submit_and_assess(stub, SEED)
    assert job.id
    assert client.state_name(final) == "SUCCEEDED", final
    assert assessment is not None
    assert 0 <= assessment.score <= 100
    assert assessment.grade in {"A", "B", "C", "D"}
    assert assessment.checklist_id == "gangyao-2021-2025"
    assert [a.id for a in assessment.areas] == [str(i) for i in range(2, 11)]
    assert assessment.report.year == 2024
    assert {p.id for p in assessment.required_parts} >= {"measures", "shortcomings", "next_year"}
    assert len(assessment.content_sha256) == 64
    assert client.summary(assessment)


def test_2020_report_uses_2015_checklist(stub):
    _, final, assessment = client.submit_and_assess(stub, SEED_2020)
    assert client.state_name(final) == "SUCCEEDED", final
    assert assessment.checklist_id == "gangyao-2015-2020"
    assert [a.id for a in assessment.areas] == [str(i) for i in range(2, 10)]


def test_resubmit_is_deduplicated(stub):
    client.submit_and_assess(stub, SEED)
    again = stub.SubmitReport(client.submit_request(SEED, request_id=str(uuid.uuid4())), timeout=30)
    assert again.deduplicated
    assert client.state_name(again) == "SUCCEEDED"


def test_same_request_id_same_job(stub):
    rid = f"py-{uuid.uuid4()}"
    a = stub.SubmitReport(client.submit_request(SEED_HTML, request_id=rid), timeout=30)
    b = stub.SubmitReport(client.submit_request(SEED_HTML, request_id=rid), timeout=30)
    assert a.id == b.id


def test_errors_have_precise_codes(stub):
    pb2, _ = client.load_stubs()
    with pytest.raises(grpc.RpcError) as e:
        stub.GetJob(pb2.GetJobRequest(id="no-such-job"), timeout=10)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as e:
        stub.SubmitReport(pb2.SubmitReportRequest(document=pb2.Document(content=b"")), timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as e:
        stub.GetAssessment(pb2.GetAssessmentRequest(job_id="no-such-job"), timeout=10)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_list_checklists(stub):
    pb2, _ = client.load_stubs()
    resp = stub.ListChecklists(pb2.ListChecklistsRequest(), timeout=10)
    ids = {c.id for c in resp.checklists}
    assert {"gangyao-2021-2025", "gangyao-2015-2020"} <= ids


def test_list_jobs_pages(stub):
    pb2, _ = client.load_stubs()
    for _ in range(3):
        stub.SubmitReport(client.submit_request(SEED, request_id=str(uuid.uuid4())), timeout=30)
    seen, token = [], ""
    for _ in range(100):
        page = stub.ListJobs(pb2.ListJobsRequest(page_size=2, page_token=token), timeout=10)
        assert len(page.jobs) <= 2
        seen.extend(j.id for j in page.jobs)
        token = page.next_page_token
        if not token:
            break
    assert len(seen) >= 3
    assert len(seen) == len(set(seen))


def test_http_side_port(server):
    with urllib.request.urlopen(server["http"] + "/healthz", timeout=5) as r:
        assert r.status == 200
    with urllib.request.urlopen(server["http"] + "/metrics", timeout=5) as r:
        assert r.status == 200
        body = r.read().decode()
    assert "# TYPE" in body


def _emitted_in_source() -> str:
    """The Rust sources that register metrics (names are string literals in metrics! macros)."""
    return "\n".join(
        p.read_text(encoding="utf-8")
        for d in ("services", "workers")
        for p in (REPO / d).rglob("*.rs")
    )


def test_alert_rules_name_emitted_metrics(server, stub):
    """deploy/prometheus/alerts.yaml only names metrics fazhi emits, with the type its use needs.

    A metric seen on /metrics (after a submission) must have the right TYPE
    (rate/increase → counter, histogram_quantile → histogram, else gauge) and the label values the
    rules select; one not seen yet (reconnects, failures) must at least be registered in the code.
    """
    import yaml

    _, final, _ = client.submit_and_assess(stub, SEED)  # traffic of its own: order-independent
    assert client.state_name(final) == "SUCCEEDED", final
    with urllib.request.urlopen(server["http"] + "/metrics", timeout=5) as r:
        body = r.read().decode()
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", body, flags=re.M))
    source = _emitted_in_source()
    rules = yaml.safe_load((REPO / "deploy" / "prometheus" / "alerts.yaml").read_text("utf-8"))
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    assert len(exprs) >= 5
    checked = 0
    for expr in exprs:
        for name in set(re.findall(r"fazhi_\w+", expr)):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            if name.endswith("_bucket"):
                want = "histogram"
            elif re.search(rf"(rate|increase)\({name}\b", expr):
                want = "counter"
            else:
                want = "gauge"
            assert f'"{base}"' in source, f"{base} (in {expr!r}) is not a metric fazhi emits"
            if base in types:
                assert types[base] == want, f"{base} is a {types[base]}, the rule uses it as a {want}"
                checked += 1
        for label, value in re.findall(r'(\w+)=~?"([^"]+)"', expr):
            for v in value.split("|"):
                if label == "method":
                    assert f'method="{v}"' in body, f"no series with method={v} on /metrics"
                else:
                    assert f'"{v}"' in source or f'{label}="{v}"' in body, f"{label}={v} never emitted"
    assert checked >= 4, f"only {checked} rule metrics were on /metrics: {sorted(types)}"


def test_score_json_is_proto3_json():
    """`fazhi score --format json` parses as a fazhi.v1.Assessment with Python's protobuf."""
    require_inputs()
    from google.protobuf import json_format

    pb2, _ = client.load_stubs()
    out = subprocess.run(
        [str(BIN), "score", "--format", "json", str(SEED), str(SEED_2020)],
        check=True, capture_output=True, timeout=120,
    ).stdout.decode()
    lines = [l for l in out.splitlines() if l.strip()]
    assert len(lines) == 2
    for line in lines:
        assert "contentSha256" in json.loads(line)
        a = json_format.Parse(line, pb2.Assessment())
        assert 0 <= a.score <= 100
        assert a.areas
