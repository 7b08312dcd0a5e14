"""The browser workbench in a real browser: Playwright drives Debian's Chromium against a real
``fazhi serve`` (embedded) and against ``fazhi gateway`` + ``fazhi worker`` on RabbitMQ + Redis.

Each flow is checked against the API's own answer: the scorecard shows the API's score, every
present required part has a ``<mark>`` whose text is its evidence quote, the radar is drawn; a
batch's ranking is in the API's score order; a report full of markup runs nothing. Every page
must stay on the server's own origin, break no Content-Security-Policy rule and throw nothing.
Screenshots of each page go to ``target/screenshots/`` (look at them).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import uuid

import pytest
import requests

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("FAZHI_BIN", REPO / "target" / "debug" / "fazhi"))
EXAMPLES = REPO / "examples" / "reports"
SEED = EXAMPLES / "2024-county-wangchuan.txt"
BATCH = [
    EXAMPLES / "2024-county-wangchuan.txt",
    EXAMPLES / "2024-street-chaoyin.html",
    EXAMPLES / "2023-department-nanyu-sifa.docx",
    EXAMPLES / "2025-plan-wangchuan-gongzuo-yaodian.txt",
]
CHROMIUM = os.environ.get("FAZHI_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
SHOTS = REPO / "target" / "screenshots"
AMQP = os.environ.get("FAZHI_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")
REDIS = os.environ.get("FAZHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
FIRST_LOAD_LIMIT = 1_500_000


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], env_extra: dict[str, str], ready_url: str | None) -> subprocess.Popen:
    assert BIN.is_file(), f"fazhi binary not found at {BIN} (build it or set FAZHI_BIN)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAZHI_")}
    env.update(FAZHI_LOG="warn", **env_extra)
    proc = subprocess.Popen([str(BIN), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while ready_url:
        try:
            if requests.get(ready_url, timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"fazhi {args[0]} did not come up:\n" + proc.communicate()[0].decode(errors="replace"))
        time.sleep(0.2)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def serve(auth_file: pathlib.Path | None = None):
    port = free_port()
    env = {"FAZHI_GRPC_ADDR": f"127.0.0.1:{port}", "FAZHI_HTTP_ADDR": f"127.0.0.1:{free_port()}", "FAZHI_WORKERS": "2"}
    if auth_file:
        env["FAZHI_AUTH_FILE"] = str(auth_file)
    base = f"http://127.0.0.1:{port}"
    return base, start(["serve"], env, f"{base}/openapi.json")


class Distributed:
    """``fazhi gateway`` and ``fazhi worker`` on the real RabbitMQ and Redis, names namespaced."""

    def __init__(self) -> None:
        run = uuid.uuid4().hex[:10]
        self.env = {
            "FAZHI_AMQP_URL": AMQP,
            "FAZHI_REDIS_URL": REDIS,
            "FAZHI_QUEUE_PREFIX": f"fazhi-test-wb-{run}.",
            "FAZHI_REDIS_PREFIX": f"fazhi-test-wb-{run}:",
        }
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.gateway = start(
            ["gateway"],
            {**self.env, "FAZHI_GRPC_ADDR": f"127.0.0.1:{port}", "FAZHI_HTTP_ADDR": f"127.0.0.1:{free_port()}"},
            f"{self.base}/openapi.json",
        )
        self.worker: subprocess.Popen | None = None

    def start_worker(self) -> None:
        self.worker = start(["worker"], {**self.env, "FAZHI_HTTP_ADDR": f"127.0.0.1:{free_port()}", "FAZHI_WORKERS": "2"}, None)

    def close(self) -> None:
        for p in (self.worker, self.gateway):
            if p:
                stop(p)
        # Best effort: the run's Redis keys and RabbitMQ queues (names carry the run id).
        prefix = self.env["FAZHI_REDIS_PREFIX"]
        if shutil.which("redis-cli"):
            keys = subprocess.run(["redis-cli", "--scan", "--pattern", f"{prefix}*"], capture_output=True, text=True).stdout.split()
            for i in range(0, len(keys), 500):
                subprocess.run(["redis-cli", "del", *keys[i : i + 500]], capture_output=True)
        if shutil.which("rabbitmqctl"):
            queues = subprocess.run(["rabbitmqctl", "-q", "list_queues", "name"], capture_output=True, text=True).stdout.split()
            for q in queues:
                if q.startswith(self.env["FAZHI_QUEUE_PREFIX"]):
                    subprocess.run(["rabbitmqctl", "-q", "delete_queue", q], capture_output=True)


@pytest.fixture(scope="module")
def browser():
    if not pathlib.Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (Debian package chromium; .ci/run installs it)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture(scope="module", params=["serve", "gateway+worker"])
def backend(request):
    if request.param == "serve":
        base, proc = serve()
        yield base
        stop(proc)
        assert proc.returncode == 0, proc.communicate()[0].decode(errors="replace")
    else:
        d = Distributed()
        d.start_worker()
        yield d.base
        d.close()


class Watched:
    """A page whose every request, console error, page error and dialog is recorded."""

    def __init__(self, browser, base: str, name: str) -> None:
        self.base = base
        self.name = name
        self.context = browser.new_context(base_url=base, accept_downloads=True, viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.requests: list = []
        self.problems: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r))
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))

    def shot(self, what: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{self.name}-{what}.png"), full_page=True)

    def close(self) -> None:
        origin = urllib.parse.urlsplit(self.base)
        foreign = []
        for r in self.requests:
            u = urllib.parse.urlsplit(r.url[len("blob:") :] if r.url.startswith("blob:") else r.url)
            if (u.scheme, u.netloc) != (origin.scheme, origin.netloc):
                foreign.append(r.url)
        self.context.close()
        assert not foreign, f"requests outside the server's origin: {foreign}"
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def watched(browser, backend, request):
    w = Watched(browser, backend, f"{request.node.name}".replace("/", "_"))
    yield w
    w.close()


def fmt(x: float) -> str:
    """The page's number format (dom.ts fmt): one decimal at most, no trailing zero."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def upload(page, files: list[pathlib.Path], timeout: float = 90_000) -> None:
    page.goto("/")
    page.set_input_files("#file-input", [str(f) for f in files])
    expect(page.locator("#file-list li")).to_have_count(len(files))
    page.click("#submit")
    for f in files:
        status = page.locator(f'tr[data-file="{f.name}"] td.status')
        expect(status).to_have_attribute("data-state", "SUCCEEDED", timeout=timeout)


def open_scorecard(page, file: pathlib.Path) -> str:
    page.locator(f'tr[data-file="{file.name}"]').get_by_role("link", name="评分卡").click()
    page.wait_for_selector("#scorecard")
    page.wait_for_selector("#radar[data-chart=ready] canvas")
    return urllib.parse.unquote(page.url.split("#/jobs/")[1])


def canvas_ink(page, selector: str) -> int:
    return page.eval_on_selector(
        f"{selector} canvas",
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""",
    )


def test_scorecard_shows_the_api_verdicts_with_their_evidence(watched):
    page = watched.page
    first_load = []
    page.on("requestfinished", lambda r: first_load.append(r.sizes()))
    page.goto("/")
    page.wait_for_selector("#file-input", state="attached")
    transferred = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in first_load)
    assert 0 < transferred <= FIRST_LOAD_LIMIT, f"first load moved {transferred} bytes"

    upload(page, [SEED])
    job_id = open_scorecard(page, SEED)
    api = requests.get(f"{watched.base}/v1/jobs/{job_id}/assessment", timeout=10).json()

    expect(page.locator("#score")).to_have_text(fmt(api["score"]))
    expect(page.locator(".score-box .grade")).to_have_text(api["grade"])
    present = [p for p in api["requiredParts"] if p.get("present")]
    assert present, "the seed report has its required parts"
    for part in present:
        quotes = {e["quote"] for e in part["evidence"]}
        marks = page.eval_on_selector_all(f'mark[data-ref="part:{part["id"]}"]', "els => els.map(e => e.textContent)")
        assert quotes & set(marks), f"part {part['id']}: no mark equals its evidence quote {quotes} (marks: {marks})"
        expect(page.locator(f'#parts li[data-part="{part["id"]}"] .tick')).to_have_text("✓ 有")
    # The document text is the API's normalized text, as text.
    assert page.text_content(".doc-text") == api["normalizedText"]
    # Every verdict's marks, read in document order, hold exactly the text of its evidence
    # ranges (ranges that cross others are cut into several marks, never lose a character).
    chars = list(api["normalizedText"])
    cited = {f"part:{p['id']}": p.get("evidence", []) for p in present}
    for area in api["areas"]:
        for it in area.get("items", []):
            cited[f"item:{area['id']}/{it['id']}"] = it.get("evidence", [])
    for i, m in enumerate(api.get("metrics", [])):
        cited[f"metric:{i}"] = [m]
    marks_by_ref = page.eval_on_selector_all(
        "mark",
        "els => { const by = {}; for (const e of els) (by[e.dataset.ref] ??= []).push(e.firstChild ? [...e.childNodes].map(n => n.nodeType === 3 ? n.data : n.textContent).join('') : ''); return by; }",
    )
    checked = 0
    for ref, evidence in cited.items():
        spans = sorted({(e.get("start", 0), e["end"]) for e in evidence if e.get("end", 0) > e.get("start", 0)})
        if not spans:
            continue
        covered = sorted({i for a, b in spans for i in range(a, min(b, len(chars)))})
        assert "".join(marks_by_ref.get(ref, [])) == "".join(chars[i] for i in covered), ref
        checked += 1
    assert checked > 20, checked
    assert canvas_ink(page, "#radar") > 1000, "the radar chart is drawn"
    assert page.locator("details.area").count() == len(api["areas"])
    assert page.locator("#metrics tbody tr").count() == len(api.get("metrics", []))

    # The issuer says where it was read, and a click lights that line in the text.
    report = api["report"]
    assert report["issuerBasis"] == "title", report
    expect(page.locator("#issuer")).to_contain_text("据标题")
    page.click('[data-verdict="issuer"]')
    lit = page.eval_on_selector_all('mark.active[data-ref="issuer"]', "els => els.map(e => e.textContent).join('')")
    assert lit == report["issuerEvidence"]["quote"], (lit, report["issuerEvidence"])

    # A verdict finds its marks; a mark names the verdicts that cite it.
    part = present[0]
    page.click(f'[data-verdict="part:{part["id"]}"]')
    active = page.locator(f'mark.active[data-ref="part:{part["id"]}"]')
    expect(active.first).to_be_in_viewport()
    active.first.click()
    expect(page.locator("#mark-popover")).to_be_visible()
    expect(page.locator("#mark-popover")).to_contain_text(part["title"])
    watched.shot("scorecard")

    page.emulate_media(media="print")
    expect(page.locator(".top")).to_be_hidden()
    watched.shot("scorecard-print")
    page.emulate_media(media="screen")


def test_batch_ranking_in_score_order_with_statistics_and_export(watched):
    page = watched.page
    upload(page, BATCH)
    page.click("#batch-link")
    rows = page.locator("#ranking tbody tr")
    expect(rows).to_have_count(len(BATCH), timeout=30_000)
    batch_id = urllib.parse.unquote(page.url.split("#/batches/")[1])
    api = requests.get(f"{watched.base}/v1/batches/{batch_id}/summary", timeout=10).json()
    shown = [rows.nth(i).get_attribute("data-job") for i in range(len(BATCH))]
    assert shown == [r["jobId"] for r in api["rows"]], "the page ranks as the API does"
    by_level: dict[str, list[float]] = {}
    for r in api["rows"]:
        by_level.setdefault(r.get("level", ""), []).append(r.get("score", 0.0))
    assert all(s == sorted(s, reverse=True) for s in by_level.values()), by_level
    for chart in ("#chart-grades", "#chart-timely", "#chart-areas"):
        page.wait_for_selector(f"{chart}[data-chart=ready] canvas")
        assert canvas_ink(page, chart) > 200, f"{chart} is drawn"

    # Sorting and filtering happen in the page: by score across levels, highest first, then
    # lowest first; ungraded reports (no score) count as 0.
    def scores() -> list[float]:
        return [float(t.replace("—", "0")) for t in rows.locator("td.score").all_text_contents()]

    expected = sorted((r.get("score", 0.0) for r in api["rows"]), reverse=True)
    page.click('th[data-sort="score"]')
    assert scores() == [float(fmt(x)) for x in expected]
    page.click('th[data-sort="score"]')
    assert scores() == [float(fmt(x)) for x in reversed(expected)]
    level = api["rows"][0]["level"]
    page.select_option("#filter-level", level)
    expect(rows).to_have_count(sum(1 for r in api["rows"] if r.get("level") == level))
    page.select_option("#filter-level", "")
    watched.shot("batch")

    with page.expect_download() as dl:
        page.click("#export-csv")
    body = pathlib.Path(dl.value.path()).read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    assert len(table) == len(BATCH) + 1, table[:2]
    page.goto("/#/batches")
    expect(page.locator("#batches")).to_contain_text(api["batch"].get("displayName", batch_id))
    watched.shot("batches")


def test_files_dropped_or_a_folder_chosen(watched, tmp_path):
    page = watched.page
    page.goto("/")
    # A drop as the browser delivers it: a DataTransfer holding two files.
    handle = page.evaluate_handle(
        """([a, b]) => { const dt = new DataTransfer();
                        dt.items.add(new File([a], 'a.txt', { type: 'text/plain' }));
                        dt.items.add(new File([b], 'b.txt', { type: 'text/plain' }));
                        return dt; }""",
        [SEED.read_text(encoding="utf-8"), BATCH[3].read_text(encoding="utf-8")],
    )
    page.dispatch_event("#drop", "drop", {"dataTransfer": handle})
    expect(page.locator("#file-list li")).to_have_count(2)
    expect(page.locator("#submit")).to_contain_text("2")
    # A folder: its reports are taken, anything else in it is left out.
    folder = tmp_path / "reports"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(SEED, folder / SEED.name)
    shutil.copy(BATCH[1], folder / "sub" / BATCH[1].name)
    (folder / "notes.md").write_text("not a report", encoding="utf-8")
    page.set_input_files("#folder-input", str(folder))
    expect(page.locator("#file-list li")).to_have_count(4)
    listed = page.locator("#file-list li").all_text_contents()
    assert any("sub/" + BATCH[1].name in t for t in listed), listed
    assert not any("notes.md" in t for t in listed), listed


def test_refusals_are_shown_in_words(watched, tmp_path):
    page = watched.page
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    page.goto("/")
    page.set_input_files("#file-input", str(empty))
    page.click("#submit")
    status = page.locator('tr[data-file="empty.txt"] td.status')
    expect(status).to_contain_text("未能提交")
    expect(status).to_contain_text("EMPTY_DOCUMENT")
    # The 400 the browser logs for the refused upload is the expected one.
    watched.problems[:] = [p for p in watched.problems if "400" not in p]


def test_issuer_history_compares_two_years(watched, tmp_path):
    page = watched.page
    text = SEED.read_text(encoding="utf-8")
    earlier = tmp_path / "wangchuan-2023.txt"
    earlier.write_text(text.replace("2025", "2024x").replace("2024", "2023").replace("2023x", "2024"), encoding="utf-8")
    upload(page, [earlier, SEED])
    job_id = open_scorecard(page, SEED)
    issuer = requests.get(f"{watched.base}/v1/jobs/{job_id}/assessment", timeout=10).json()["report"]["issuer"]
    page.get_by_role("link", name="历年对比").click()
    expect(page.locator("#comparison")).to_contain_text("2023 → 2024")
    years = {row.split("\t")[0] for row in page.locator("#history tbody tr").all_inner_texts()}
    assert {"2023", "2024"} <= years, years
    page.wait_for_selector("#chart-history[data-chart=ready] canvas")
    assert issuer in page.text_content("h1")
    watched.shot("history")

    # The two years share their text: the copied passages stand side by side on a scorecard.
    page.goto("/#/jobs")
    expect(page.locator("#jobs tbody tr[data-job]").first).to_be_visible()
    ids = [urllib.parse.unquote(h.split("#/jobs/")[1]) for h in page.locator("#jobs tbody tr td:first-child a").evaluate_all("els => els.map(e => e.getAttribute('href'))")]
    similar = None
    for jid in ids:
        a = requests.get(f"{watched.base}/v1/jobs/{jid}/assessment", timeout=10).json()
        if a.get("similarReports"):
            similar = (jid, a["similarReports"])
            break
    assert similar, "a copied report is found similar to another"
    page.goto(f"/#/jobs/{similar[0]}")
    page.wait_for_selector("#scorecard")
    cells = page.locator(".side-by-side tbody tr td:first-child").all_text_contents()
    passages = [p["passage"]["quote"] for s in similar[1] for p in s.get("passages", [])]
    assert cells == passages, (cells[:2], passages[:2])
    watched.shot("similar")


def test_report_markup_runs_nothing(watched, tmp_path):
    page = watched.page
    hostile = (
        '<script>window.__pwned = "script"</script>关于2024年度法治政府建设情况的报告<img src=x onerror="window.__pwned = \'img\'">\n'
        + SEED.read_text(encoding="utf-8")
        + '\n<a href="javascript:window.__pwned=\'link\'">点此查看</a><svg onload="window.__pwned=\'svg\'"></svg>\n'
        + '<iframe src="javascript:parent.__pwned=\'frame\'"></iframe><style>body{display:none}</style>\n'
    )
    report = tmp_path / "xss-report.txt"
    report.write_text(hostile, encoding="utf-8")
    upload(page, [report])
    open_scorecard(page, report)
    text = page.text_content(".doc-text")
    assert '<script>window.__pwned = "script"</script>' in text
    assert "<img src=x onerror=" in text
    for tag in ("img", "script", "iframe", "svg", "style"):
        assert page.locator(f"#scorecard {tag}").count() == 0, f"a <{tag}> came out of the report"
    assert page.locator('a[href^="javascript"]').count() == 0
    for i in range(min(page.locator("mark").count(), 10)):
        page.locator("mark").nth(i).click()
        expect(page.locator("#mark-popover")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.locator("#mark-popover")).to_be_hidden()
    page.click("#report-title")
    assert page.evaluate("() => window.__pwned") is None
    # The policy itself forbids inline script: one written into the page does not run.
    ran = page.evaluate(
        """() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1';
                   document.body.appendChild(s); return window.__inline === 1; }"""
    )
    assert ran is False
    watched.problems[:] = [p for p in watched.problems if "Content Security Policy" not in p or "__inline" in p]
    watched.shot("xss")
    csp = requests.get(f"{watched.base}/", timeout=10).headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def test_api_key_is_asked_for_and_kept_in_the_tab(browser, tmp_path):
    auth = tmp_path / "auth.toml"
    auth.write_text(f'[[tenant]]\nname = "clerks"\nkey_sha256 = ["{digest("key-clerk")}"]\n')
    base, proc = serve(auth)
    w = Watched(browser, base, "auth")
    try:
        page = w.page
        page.goto("/")
        page.fill("#api-key", "not-a-key")
        page.click("form.key-form button[type=submit]")
        expect(page.locator("form.key-form")).to_contain_text("密钥无效")
        page.fill("#api-key", "key-clerk")
        page.click("form.key-form button[type=submit]")
        page.wait_for_selector("#file-input", state="attached")
        upload(page, [SEED])
        open_scorecard(page, SEED)
        assert page.evaluate("() => sessionStorage.getItem('fazhi.apiKey')") == "key-clerk"
        assert page.evaluate("() => localStorage.length") == 0
        api_calls = [r for r in w.requests if "/v1/" in r.url]
        assert api_calls and all(r.headers.get("authorization") for r in api_calls[1:])
        assert not any("key-clerk" in r.url for r in w.requests), "no secret in a URL"
        w.shot("auth")
        # 401s while the wrong key was tried are the expected console errors.
        w.problems[:] = [p for p in w.problems if "401" not in p]
    finally:
        w.close()
        stop(proc)


def test_jobs_page_lists_and_cancels_on_rabbitmq_and_redis(browser):
    d = Distributed()
    w = Watched(browser, d.base, "jobs")
    try:
        page = w.page
        # No worker yet: the job waits on the queue and can be cancelled from the page.
        page.goto("/")
        page.set_input_files("#file-input", [str(SEED)])
        page.click("#submit")
        status = page.locator(f'tr[data-file="{SEED.name}"] td.status')
        expect(status).to_have_attribute("data-state", "QUEUED", timeout=30_000)
        href = page.locator(f'tr[data-file="{SEED.name}"] a').get_attribute("href")
        queued = urllib.parse.unquote(href.split("#/jobs/")[1])
        page.goto("/#/jobs")
        row = page.locator(f'#jobs tbody tr[data-job="{queued}"]')
        expect(row).to_contain_text(SEED.name)
        row.locator("button.cancel").click()
        expect(row.locator("td[data-state]")).to_have_text("已取消")
        page.select_option("#state-filter", "CANCELLED")
        expect(page.locator("#jobs tbody tr")).to_have_count(1)
        w.shot("jobs")
        d.start_worker()
        upload(page, [EXAMPLES / "2024-street-chaoyin.html"])
        job_id = open_scorecard(page, EXAMPLES / "2024-street-chaoyin.html")
        api = requests.get(f"{d.base}/v1/jobs/{job_id}/assessment", timeout=10).json()
        expect(page.locator("#score")).to_have_text(fmt(api["score"]))
    finally:
        w.close()
        d.close()


def test_operators_turn_it_off_or_name_who_frames_it():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    common = {"FAZHI_GRPC_ADDR": f"127.0.0.1:{port}", "FAZHI_HTTP_ADDR": f"127.0.0.1:{free_port()}"}

    proc = start(["serve"], {**common, "FAZHI_WORKBENCH": "off"}, f"{base}/openapi.json")
    try:
        assert requests.get(f"{base}/", timeout=5).status_code == 404
        assert requests.get(f"{base}/v1/checklists", timeout=5).ok, "the API stays"
    finally:
        stop(proc)

    proc = start(["serve"], {**common, "FAZHI_WORKBENCH_FRAME_ANCESTORS": "https://platform.example.gov.cn"}, f"{base}/openapi.json")
    try:
        r = requests.get(f"{base}/", timeout=5)
        assert r.headers["Content-Security-Policy"].endswith("frame-ancestors 'self' https://platform.example.gov.cn")
        assert "X-Frame-Options" not in r.headers
    finally:
        stop(proc)

    env = {k: v for k, v in os.environ.items() if not k.startswith("FAZHI_")}
    env.update(common, FAZHI_WORKBENCH_FRAME_ANCESTORS="https://a.cn; script-src *")
    out = subprocess.run([str(BIN), "serve"], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "FRAME_ANCESTORS" in out.stderr or "frame-ancestors" in out.stderr, out.stderr


def test_uploads_wait_out_the_rate_limit_and_outlive_the_page(browser):
    """A tenant limited to one submission a second: the page obeys Retry-After, and the
    uploads go on while the user looks at another page and are there on return — even when
    the user left before the server had answered the batch's creation."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(
        ["serve"],
        {"FAZHI_GRPC_ADDR": f"127.0.0.1:{port}", "FAZHI_HTTP_ADDR": f"127.0.0.1:{free_port()}", "FAZHI_SUBMIT_RATE": "1", "FAZHI_SUBMIT_BURST": "1"},
        f"{base}/openapi.json",
    )
    w = Watched(browser, base, "rate-limited")
    try:
        page = w.page
        held = []
        page.route("**/v1/batches", lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
        page.goto("/")
        page.set_input_files("#file-input", [str(f) for f in BATCH])
        page.click("#submit")
        deadline = time.time() + 10
        while not held and time.time() < deadline:
            page.wait_for_timeout(50)
        assert held, "the page did not ask for a batch"
        page.goto("/#/jobs")
        page.goto("/#/")
        expect(page.locator(f'tr[data-file="{BATCH[0].name}"]')).to_be_visible()
        held[0].continue_()
        for f in BATCH:
            expect(page.locator(f'tr[data-file="{f.name}"] td.status')).to_have_attribute("data-state", "SUCCEEDED", timeout=60_000)
        # The 429s the browser logs are the limit being obeyed.
        w.problems[:] = [p for p in w.problems if "429" not in p]
    finally:
        w.close()
        stop(proc)
