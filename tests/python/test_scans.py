"""Scans judged as their text: each example report and each real report of the shared corpus
is set as a 公文, printed to pixels at 200 dpi, tilted, speckled and sealed in red by
``scripts/render-scans`` (an image-only PDF, as sites publish signed reports), and ``fazhi score``
must read it by OCR and judge it as it judges the text: the same kind, required parts and 纲要
area statuses, and at least 90 % of the text's metrics with the same values — the text came
from OCR, says so, and is graded. A photo and a chart read by OCR are not reports and get
LOW_TEXT_QUALITY, never a crash or a grade.

Bounded for CI: the examples and the five real seeds (about 25 pages, 1–2 s a page). Needs
Debian's tesseract-ocr, tesseract-ocr-chi-sim, poppler-utils, fonts-wqy-zenhei (`.ci/run`
installs them) and reportlab and Pillow from PyPI.
"""

import json
import os
import pathlib
import random
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = pathlib.Path(os.environ.get("FAZHI_CORPUS", ROOT.parent / "shared" / "corpus"))
BIN = pathlib.Path(os.environ.get("FAZHI_BIN", ROOT / "target" / "debug" / "fazhi"))


def sources():
    files = sorted((ROOT / "examples" / "reports").glob("*.txt"))
    if (CORPUS / "labels.toml").is_file():
        files += sorted((CORPUS / "seeds").glob("*.txt"))
    else:
        print(f"SKIPPED shared-corpus scans: shared corpus not found at {CORPUS}")
    return files


def score(path):
    assert BIN.is_file(), f"fazhi binary not found at {BIN} (build it or set FAZHI_BIN)"
    out = subprocess.run(
        [str(BIN), "score", "--ocr", "on", "--format", "json", str(path)],
        capture_output=True,
        timeout=600,
    )
    assert out.returncode == 0 and out.stdout, f"{path.name}: {out.stderr.decode()}"
    return json.loads(out.stdout.decode().splitlines()[0])


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    files = sources()
    out = tmp_path_factory.mktemp("scans")
    subprocess.run(
        ["python3", str(ROOT / "scripts" / "render-scans"), str(out), *map(str, files)],
        check=True,
        capture_output=True,
        timeout=900,
    )
    return out, files


def test_scans_are_judged_as_their_text(scans):
    out, files = scans
    differ, matched, wanted = [], 0, 0
    for f in files:
        text, scan = score(f), score(out / f"{f.stem}.scan.pdf")
        q = scan.get("textQuality", {})
        assert q.get("ocr") and not q.get("low"), f"{f.name}: {q}"
        assert q.get("ocrConfidence", 0) >= 0.8, f"{f.name}: {q}"
        assert any(x["code"] == "TEXT_FROM_OCR" for x in scan.get("findings", []))
        assert scan.get("decode", {}).get("encodingSource") == "ocr"
        r, s = text.get("report", {}), scan.get("report", {})
        if r.get("kind") != s.get("kind"):
            differ.append(f"{f.name} kind: {r.get('kind')} / {s.get('kind')}")
        parts = lambda a: sorted(p["id"] for p in a.get("requiredParts", []) if p.get("present"))
        areas = lambda a: {x["id"]: x.get("status") for x in a.get("areas", [])}
        for key, get in (("parts", parts), ("areas", areas)):
            if get(text) != get(scan):
                differ.append(f"{f.name} {key}: text {get(text)}, scan {get(scan)}")
        want = {m["id"]: m.get("value") for m in text.get("metrics", [])}
        got = {m["id"]: m.get("value") for m in scan.get("metrics", [])}
        matched += sum(1 for k, v in want.items() if got.get(k) == v)
        wanted += len(want)
        print(f"{f.name}: metrics {sum(1 for k, v in want.items() if got.get(k) == v)}/{len(want)}, "
              f"confidence {q.get('ocrConfidence')}, score {text.get('score')} / {scan.get('score')}")
    assert not differ, "\n".join(differ)
    assert wanted > 0 and matched / wanted >= 0.9, f"metrics {matched}/{wanted}"


def test_a_page_image_is_read_by_ocr(scans):
    """PNG (and JPEG, TIFF) pages go the same way as image-only PDFs."""
    from PIL import Image

    out, files = scans
    page = out / f"{files[0].stem}.scan.png"
    jpeg = out / "page.jpg"
    Image.open(page).convert("RGB").save(jpeg, quality=85)
    for path in (page, jpeg):
        a = score(path)
        assert a["textQuality"]["ocr"] and a["textQuality"]["ocrPages"] == 1, path.name
        assert any(x["code"] == "TEXT_FROM_OCR" for x in a.get("findings", []))


def test_photos_and_charts_are_not_reports_and_get_no_grade(tmp_path):
    from PIL import Image, ImageDraw

    rng = random.Random(7)
    photo = Image.new("RGB", (1200, 900), (120, 150, 100))
    d = ImageDraw.Draw(photo)
    for _ in range(40):
        x, y = rng.randrange(1100), rng.randrange(800)
        fill = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        d.ellipse((x, y, x + rng.randrange(20, 150), y + rng.randrange(20, 150)), fill=fill)
    photo.save(tmp_path / "photo.jpg")
    chart = Image.new("RGB", (1000, 700), "white")
    d = ImageDraw.Draw(chart)
    for i, h in enumerate([300, 450, 200, 520, 380]):
        d.rectangle((100 + i * 160, 650 - h, 200 + i * 160, 650), fill=(60, 110, 200))
    d.line((80, 650, 950, 650), fill="black", width=3)
    chart.save(tmp_path / "chart.png")
    for name in ("photo.jpg", "chart.png"):
        a = score(tmp_path / name)
        codes = {x["code"] for x in a.get("findings", [])}
        assert a["report"]["kind"] == "not_report", name
        assert "LOW_TEXT_QUALITY" in codes and a["grade"] == "N/A", (name, codes, a["grade"])
