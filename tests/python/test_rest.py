"""The HTTP/JSON face with foreign clients: Python ``requests`` (JSON submissions, errors and
their HTTP statuses, tenants, limits, webhooks with their HMAC checked here) and schemathesis
(the generated OpenAPI contract), against a real ``fazhi serve`` with an auth file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import os
import pathlib
import signal
import socket
import subprocess
import threading
import time
import uuid

import pytest
import requests

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("FAZHI_BIN", REPO / "target" / "debug" / "fazhi"))
EXAMPLES = REPO / "examples" / "reports"
SEED = EXAMPLES / "2024-county-wangchuan.txt"
MAX_DOC = 200_000
SECRET_A = "secret-a-0123456789abcdef"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_POST(self):  # noqa: N802 (http.server naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.hits.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def receiver():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@pytest.fixture(scope="module")
def server(tmp_path_factory, receiver):
    assert BIN.is_file(), f"fazhi binary not found at {BIN} (build it or set FAZHI_BIN)"
    auth = tmp_path_factory.mktemp("auth") / "auth.toml"
    auth.write_text(
        f"""
[[tenant]]
name = "a"
key_sha256 = ["{digest('key-a')}"]
webhook_secret = "{SECRET_A}"

[[tenant]]
name = "b"
key_sha256 = ["{digest('key-b')}"]

[[tenant]]
name = "slow"
key_sha256 = ["{digest('key-slow')}"]
submit_rate_per_sec = 0.01
submit_burst = 1
"""
    )
    port, http_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAZHI_")}
    env.update(
        FAZHI_GRPC_ADDR=f"127.0.0.1:{port}",
        FAZHI_HTTP_ADDR=f"127.0.0.1:{http_port}",
        FAZHI_AUTH_FILE=str(auth),
        FAZHI_MAX_DOCUMENT_BYTES=str(MAX_DOC),
        FAZHI_WEBHOOK_ALLOW=f"127.0.0.1:{receiver}",
        FAZHI_WEBHOOK_INITIAL_DELAY="200ms",
        FAZHI_WORKERS="2",
        FAZHI_LOG="warn",
    )
    proc = subprocess.Popen([str(BIN), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            if requests.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("fazhi serve did not come up:\n" + proc.communicate()[0].decode(errors="replace"))
        time.sleep(0.2)
    yield {"base": base, "receiver": receiver}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def api(server, key="key-a"):
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {key}"
    s.base = server["base"]
    return s


def submission(path: pathlib.Path, suffix: str = "", **extra) -> dict:
    content = path.read_bytes() + suffix.encode()
    return {
        "document": {
            "content": base64.b64encode(content).decode(),
            "filename": path.name,
            "mediaType": "text/plain",
        },
        **extra,
    }


def wait_done(s, job_id: str, limit: float = 60.0) -> dict:
    deadline = time.time() + limit
    while True:
        job = s.get(f"{s.base}/v1/jobs/{job_id}").json()
        if job["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return job
        assert time.time() < deadline, f"job {job_id} not done: {job}"
        time.sleep(0.05)


def reason(resp) -> str:
    body = resp.json()
    info = [d for d in body["details"] if d["@type"].endswith("google.rpc.ErrorInfo")]
    assert len(info) == 1, body
    assert info[0]["domain"] == "fazhi.v1"
    return info[0]["reason"]


def test_requests_submit_list_assess(server):
    s = api(server)
    r = s.post(f"{s.base}/v1/jobs", json=submission(SEED, labels={"client": "requests"}))
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["labels"] == {"client": "requests"}
    done = wait_done(s, job["id"])
    assert done["state"] == "SUCCEEDED", done
    a = s.get(f"{s.base}/v1/jobs/{job['id']}/assessment")
    assert a.status_code == 200
    cli = subprocess.run([str(BIN), "score", "--format", "json", str(SEED)], capture_output=True, check=True)
    assert a.content == cli.stdout, "REST assessment differs from fazhi score --format json"
    listed = s.get(f"{s.base}/v1/jobs", params={"state": "SUCCEEDED", "page_size": 500}).json()
    assert job["id"] in [j["id"] for j in listed["jobs"]]
    sync = s.post(f"{s.base}/v1/reports:assess", json=submission(SEED))
    assert sync.status_code == 200 and sync.json()["score"] == a.json()["score"]
    lists = s.get(f"{s.base}/v1/checklists").json()
    assert {c["id"] for c in lists["checklists"]} >= {"gangyao-2021-2025", "gangyao-2015-2020"}


def test_errors_statuses_and_tenants(server):
    a, b = api(server), api(server, "key-b")
    base = server["base"]
    r = requests.get(f"{base}/v1/jobs")
    assert (r.status_code, reason(r)) == (401, "API_KEY_INVALID")
    job = a.post(f"{base}/v1/jobs", json=submission(SEED, f"\n{uuid.uuid4()}")).json()
    wait_done(a, job["id"])
    r = b.get(f"{base}/v1/jobs/{job['id']}")
    assert (r.status_code, reason(r)) == (404, "JOB_NOT_FOUND"), "another tenant's job does not exist"
    r = a.post(f"{base}/v1/jobs/{job['id']}:cancel")
    assert (r.status_code, reason(r)) == (412, "JOB_TERMINAL")
    r = a.post(f"{base}/v1/jobs", data="{not json", headers={"Content-Type": "application/json"})
    assert (r.status_code, reason(r)) == (400, "INVALID_JSON")
    # Just over the document limit, on every way in.
    big = {"document": {"content": base64.b64encode(b"x" * (MAX_DOC + 1)).decode()}}
    r = a.post(f"{base}/v1/jobs", json=big)
    assert (r.status_code, reason(r)) == (413, "DOCUMENT_TOO_LARGE")
    r = a.post(f"{base}/v1/reports:assess", json=big)
    assert (r.status_code, reason(r)) == (413, "DOCUMENT_TOO_LARGE")
    r = a.post(f"{base}/v1/jobs:upload", files={"file": ("big.txt", b"x" * (MAX_DOC + 1), "text/plain")})
    assert (r.status_code, reason(r)) == (413, "DOCUMENT_TOO_LARGE")
    # A tenant over its rate: 429 with Retry-After and RetryInfo.
    slow = api(server, "key-slow")
    first = slow.post(f"{base}/v1/jobs", json=submission(SEED, f"\n{uuid.uuid4()}"))
    assert first.status_code == 200, first.text
    r = slow.post(f"{base}/v1/jobs", json=submission(SEED, f"\n{uuid.uuid4()}"))
    assert (r.status_code, reason(r)) == (429, "RATE_LIMITED")
    assert int(r.headers["Retry-After"]) >= 1
    assert any(d["@type"].endswith("RetryInfo") for d in r.json()["details"])
    # Webhooks only to allowed hosts, and only for tenants with a secret.
    r = a.post(f"{base}/v1/jobs", json=submission(SEED, notifyUrl="http://10.0.0.1:8080/hook"))
    assert (r.status_code, reason(r)) == (400, "WEBHOOK_NOT_ALLOWED")
    r = b.post(f"{base}/v1/jobs", json=submission(SEED, notifyUrl=f"http://127.0.0.1:{server['receiver']}/h"))
    assert (r.status_code, reason(r)) == (400, "WEBHOOK_NOT_ALLOWED")


def test_upload_with_fields_and_webhook(server):
    s = api(server)
    Receiver.hits.clear()
    with SEED.open("rb") as f:
        r = s.post(
            f"{s.base}/v1/jobs:upload",
            files={"file": (SEED.name, f.read() + f"\n{uuid.uuid4()}".encode(), "text/plain")},
            data={
                "labels.batch": "py",
                "hints.year": "2024",
                "notify_url": f"http://127.0.0.1:{server['receiver']}/hook",
            },
        )
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["labels"] == {"batch": "py"}
    assert job["webhook"]["state"] == "DELIVERY_PENDING"
    deadline = time.time() + 60
    while not Receiver.hits:
        assert time.time() < deadline, "webhook never arrived"
        time.sleep(0.05)
    headers, body = Receiver.hits[0]
    headers = {k.lower(): v for k, v in headers.items()}
    sent = json.loads(body)
    assert sent["id"] == job["id"] and sent["state"] == "SUCCEEDED"
    parts = dict(p.split("=", 1) for p in headers["x-fazhi-signature"].split(","))
    want = hmac.new(SECRET_A.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], want), "signature does not verify"
    assert abs(time.time() - int(parts["t"])) < 300
    final = s.get(f"{s.base}/v1/jobs/{job['id']}").json()
    deadline = time.time() + 10
    while final["webhook"]["state"] != "DELIVERED":
        assert time.time() < deadline, final
        time.sleep(0.05)
        final = s.get(f"{s.base}/v1/jobs/{job['id']}").json()
    assert headers["x-fazhi-delivery"] == final["webhook"]["deliveryId"]


def test_schemathesis_contract(server, tmp_path):
    """Every generated request: no 5xx, every response (and SSE event) matches the schema,
    proper 405s with Allow. Bounded: a fixed number of examples per operation."""
    cmd = [
        "schemathesis",
        "run",
        f"{server['base']}/openapi.json",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_headers_conformance,response_schema_conformance,unsupported_method",
        "--max-examples",
        "25",
        "--seed",
        "1",
        "-H",
        "Authorization: Bearer key-a",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert "passed" in out.stdout


def test_batch_over_http_and_xlsx_opens_in_openpyxl(server, tmp_path):
    import csv
    import io

    import openpyxl

    s, other = api(server), api(server, "key-b")
    r = s.post(f"{s.base}/v1/batches", json={"displayName": "某省2024年度报告", "labels": {"p": "demo"}})
    assert r.status_code == 200, r.text
    batch = r.json()
    reports = [EXAMPLES / "2024-county-wangchuan.txt", EXAMPLES / "2024-street-chaoyin.html", EXAMPLES / "2020-city-nanyu.txt"]
    ids = []
    for p in reports:
        r = s.post(
            f"{s.base}/v1/jobs:upload",
            files={"file": (p.name, p.read_bytes() + f"\n{uuid.uuid4()}".encode())},
            data={"batch_id": batch["id"]},
        )
        assert r.status_code == 200, r.text
        assert r.json()["batchId"] == batch["id"]
        ids.append(r.json()["id"])
    for i in ids:
        assert wait_done(s, i)["state"] == "SUCCEEDED"
    got = s.get(f"{s.base}/v1/batches/{batch['id']}").json()
    assert got["total"] == 3 and got["counts"] == {"succeeded": 3}
    summary = s.get(f"{s.base}/v1/batches/{batch['id']}/summary").json()
    assert sorted(r["jobId"] for r in summary["rows"]) == sorted(ids)
    assert summary["statistics"]["count"] == 3

    x = s.get(f"{s.base}/v1/batches/{batch['id']}:export", params={"format": "xlsx"})
    assert x.status_code == 200
    assert "spreadsheetml" in x.headers["Content-Type"]
    assert "attachment" in x.headers["Content-Disposition"]
    path = tmp_path / "batch.xlsx"
    path.write_bytes(x.content)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["排名", "统计", "问题"]
    ranking = wb["排名"]
    rows = list(ranking.iter_rows(values_only=True))
    assert rows[0][:3] == ("排名", "层级", "发布机关")
    assert len(rows) == 1 + 3
    assert sorted(r[-1] for r in rows[1:]) == sorted(ids)
    assert ranking.freeze_panes == "A2"
    scores = {r["jobId"]: r["score"] for r in summary["rows"]}
    for r in rows[1:]:
        assert abs(r[5] - scores[r[-1]]) < 1e-9

    c = s.get(f"{s.base}/v1/batches/{batch['id']}:export", params={"format": "csv"})
    assert c.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
    assert table[0][0] == "排名" and len(table) == 4

    # Another tenant sees none of it.
    r = other.get(f"{s.base}/v1/batches/{batch['id']}")
    assert (r.status_code, reason(r)) == (404, "BATCH_NOT_FOUND")
    r = other.get(f"{s.base}/v1/batches/{batch['id']}/summary")
    assert r.status_code == 404
    assert batch["id"] not in [b["id"] for b in other.get(f"{s.base}/v1/batches").json().get("batches", [])]
    r = other.post(f"{s.base}/v1/jobs", json=submission(SEED, batchId=batch["id"]))
    assert (r.status_code, reason(r)) == (404, "BATCH_NOT_FOUND")
