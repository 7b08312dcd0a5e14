"""Same judgement in every format: each text report of the shared corpus and the examples is
rendered as offices render reports — saved by LibreOffice Writer as DOCX and exported as PDF;
laid out as a 公文 (justified, two-character first-line indent, 15 pt, 1.5 line spacing) and
exported by Writer; typeset by a second PDF generator (reportlab, CJK line breaking, the first
line as a larger centred title); and
published as a government site's GBK page (a CMS article container amid navigation,
breadcrumb, widgets and footer) — and `fazhi score` must judge every rendering as it judges the
text: kind, year, issuer, level, required parts, each area's status and every metric, with no
LOW_TEXT_QUALITY. Scans are `test_scans.py`.

Needs Debian's libreoffice-writer-nogui and fonts-wqy-zenhei (`.ci/run` installs them) and
reportlab from PyPI; the renderings are made fresh in a temporary directory, never stored.
"""

import html
import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FONT = pathlib.Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
CORPUS = pathlib.Path(os.environ.get("FAZHI_CORPUS", ROOT.parent / "shared" / "corpus"))
BIN = pathlib.Path(os.environ.get("FAZHI_BIN", ROOT / "target" / "debug" / "fazhi"))


def sources():
    """The examples, and the shared corpus's text reports when it is there (CI always has it)."""
    files = sorted((ROOT / "examples" / "reports").glob("*.txt"))
    if (CORPUS / "labels.toml").is_file():
        for sub in ("seeds", "synthetic"):
            files += sorted((CORPUS / sub).glob("*.txt"))
        assert len(files) >= 20, f"only {len(files)} text reports in {CORPUS}"
    else:
        print(f"SKIPPED shared-corpus renderings: shared corpus not found at {CORPUS}")
    return files


def soffice(args, cwd):
    exe = shutil.which("soffice")
    assert exe, "soffice not found: apt-get install libreoffice-writer-nogui fonts-wqy-zenhei"
    profile = pathlib.Path(cwd) / "profile"
    subprocess.run(
        [exe, f"-env:UserInstallation=file://{profile}", "--headless", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        timeout=600,
    )


def score(path):
    assert BIN.is_file(), f"fazhi binary not found at {BIN} (build it or set FAZHI_BIN)"
    out = subprocess.run(
        [str(BIN), "score", "--format", "json", str(path)],
        check=False,
        capture_output=True,
        timeout=120,
    )
    assert out.stdout, f"{path.name}: {out.stderr.decode()}"
    return json.loads(out.stdout.decode().splitlines()[0])


def judgement(a):
    r = a.get("report", {})
    return {
        "kind": r.get("kind"),
        "year": r.get("year"),
        "issuer": r.get("issuer"),
        "level": r.get("level"),
        "parts": sorted(p["id"] for p in a.get("requiredParts", []) if p.get("present")),
        "areas": {x["id"]: x.get("status") for x in a.get("areas", [])},
        "metrics": {m["id"]: m.get("value") for m in a.get("metrics", [])},
    }


@pytest.fixture(scope="module")
def renderings(tmp_path_factory):
    files = sources()
    work = tmp_path_factory.mktemp("formats")
    for f in files:
        shutil.copy(f, work / f.name)
    names = [f.name for f in files]
    # Text → Writer document (UTF-8 import), then as an office saves and exports it.
    soffice(["--infilter=Text (encoded):UTF8,LF,,,", "--convert-to", "odt:writer8", *names], work)
    odts = [pathlib.Path(n).with_suffix(".odt").name for n in names]
    soffice(["--convert-to", "docx:MS Word 2007 XML", *odts], work)
    soffice(["--convert-to", "pdf:writer_pdf_Export", *odts], work)
    soffice(["--convert-to", "doc:MS Word 97", odts[0]], work)

    # The 公文 layout: through HTML with the paragraph style, then as above.
    gw = work / "gongwen"
    gw.mkdir()
    for f in files:
        paras = "".join(
            f'<p style="text-indent:2em;text-align:justify;margin:0">{html.escape(l.strip())}</p>'
            for l in f.read_text(encoding="utf-8").splitlines()
            if l.strip()
        )
        (gw / f"{f.stem}.html").write_text(
            '<html><head><meta charset="utf-8"><style>body{font-family:"WenQuanYi Zen Hei";'
            f"font-size:15pt;line-height:1.5}}</style></head><body>{paras}</body></html>",
            encoding="utf-8",
        )
    htmls = [f"{f.stem}.html" for f in files]
    soffice(["--convert-to", "odt:writer8", *htmls], gw)
    soffice(["--convert-to", "pdf:writer_pdf_Export", *[f"{f.stem}.odt" for f in files]], gw)
    for f in files:
        shutil.copy(gw / f"{f.stem}.pdf", work / f"{f.stem}.gongwen.pdf")

    # A government site's page: GBK-encoded, the report in a CMS article container between the
    # site's navigation, breadcrumb, share widgets and footer.
    for f in files:
        lines = [l.strip() for l in f.read_text(encoding="utf-8").splitlines() if l.strip()]
        paras = "".join(f"<p>{html.escape(l)}</p>" for l in lines)
        page = (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">'
            f"<title>{html.escape(lines[0])}_人民政府门户网站</title></head><body>"
            '<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a> <a href="/hdjl/">互动交流</a></div>'
            '<div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 法治政府建设</div>'
            f'<div class="TRS_Editor">{paras}</div>'
            '<div class="share">【字体：大 中 小】 【打印本页】 【关闭窗口】 分享到：</div>'
            '<div class="footer">主办单位：人民政府办公室 版权所有 网站标识码 0000000000 ICP备00000000号</div>'
            "</body></html>"
        )
        (work / f"{f.stem}.gbk.html").write_bytes(page.encode("gbk", errors="xmlcharrefreplace"))

    # A second generator: reportlab's platypus with CJK line breaking.
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    assert FONT.is_file(), f"{FONT} not found: apt-get install fonts-wqy-zenhei"
    pdfmetrics.registerFont(TTFont("wqy", str(FONT), subfontIndex=0))
    style = ParagraphStyle(
        "body", fontName="wqy", fontSize=12, leading=20, firstLineIndent=24, wordWrap="CJK"
    )
    # The first line as a 公文 title: larger, centred, wrapping onto a second line when long.
    title = ParagraphStyle(
        "title", parent=style, fontSize=22, leading=32, firstLineIndent=0, alignment=1
    )
    for f in files:
        lines = [l.strip() for l in f.read_text(encoding="utf-8").splitlines() if l.strip()]
        SimpleDocTemplate(str(work / f"{f.stem}.reportlab.pdf"), pagesize=A4).build(
            [Paragraph(html.escape(l), title if i == 0 else style) for i, l in enumerate(lines)]
        )
    return work, names


@pytest.mark.parametrize("fmt", ["gbk.html", "docx", "pdf", "gongwen.pdf", "reportlab.pdf"])
def test_every_rendering_is_judged_as_its_text(renderings, fmt):
    work, names = renderings
    differ = []
    for name in names:
        text = score(work / name)
        rendered = score(work / f"{pathlib.Path(name).stem}.{fmt}")
        quality = rendered.get("textQuality", {})
        assert not quality.get("low"), f"{name}.{fmt}: {quality}"
        want, got = judgement(text), judgement(rendered)
        for key in want:
            if want[key] != got[key]:
                differ.append(f"{name}.{fmt} {key}: text {want[key]!r}, {fmt} {got[key]!r}")
    assert not differ, "\n".join(differ)


def test_old_word_file_is_refused_with_what_to_do(renderings):
    """A .doc saved by Writer is refused with UNSUPPORTED_FORMAT and the conversion to do, not
    read as garbled text."""
    work, names = renderings
    doc = work / f"{pathlib.Path(names[0]).stem}.doc"
    assert BIN.is_file(), f"fazhi binary not found at {BIN}"
    out = subprocess.run([str(BIN), "score", str(doc)], capture_output=True, timeout=60)
    assert out.returncode != 0
    err = out.stderr.decode()
    assert "UNSUPPORTED_FORMAT" in err and "docx" in err, err


def test_copy_protected_pdf_is_read_and_a_password_one_is_refused(tmp_path):
    """Sites often publish PDFs protected against copying (an owner password only): those open
    with the empty password and are judged as their text. One that needs a password to open is
    refused with PDF_NO_TEXT saying so."""
    from reportlab.lib import pdfencrypt
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(TTFont("wqy", str(FONT), subfontIndex=0))
    style = ParagraphStyle("body", fontName="wqy", fontSize=12, leading=20, wordWrap="CJK")
    text = ROOT / "examples" / "reports" / "2024-county-wangchuan.txt"
    lines = [l.strip() for l in text.read_text(encoding="utf-8").splitlines() if l.strip()]
    protected, locked = tmp_path / "protected.pdf", tmp_path / "locked.pdf"
    for path, enc in [
        (protected, pdfencrypt.StandardEncryption("", ownerPassword="owner", canCopy=0)),
        (locked, pdfencrypt.StandardEncryption("open-me", ownerPassword="owner")),
    ]:
        SimpleDocTemplate(str(path), encrypt=enc).build(
            [Paragraph(html.escape(l), style) for l in lines]
        )
    assert judgement(score(protected)) == judgement(score(text))
    out = subprocess.run([str(BIN), "score", str(locked)], capture_output=True, timeout=60)
    err = out.stderr.decode()
    assert out.returncode != 0 and "PDF_NO_TEXT" in err and "password" in err, err


def test_tables_read_row_by_row_in_every_format(tmp_path):
    """A report with a table of figures, saved by Writer as DOCX and PDF: each row reads as one
    line (DOCX: "行政机关负责人出庭应诉率 | 96.5%"; PDF: the cells on one line, " | " only across
    a wide gap), so figures stay with their labels and every rendering is judged as the page it
    was made from."""
    text = ROOT / "examples" / "reports" / "2024-county-wangchuan.txt"
    paras = "".join(
        f"<p>{html.escape(l.strip())}</p>"
        for l in text.read_text(encoding="utf-8").splitlines()
        if l.strip()
    )
    table = (
        '<table border="1"><tr><td>指标</td><td>2024年</td></tr>'
        "<tr><td>行政机关负责人出庭应诉率</td><td>96.5%</td></tr>"
        "<tr><td>行政复议案件</td><td>57件</td></tr></table>"
    )
    page = tmp_path / "tabled.html"
    page.write_text(
        f'<html><head><meta charset="utf-8"></head><body><p>（丢弃）</p>{paras}{table}</body></html>',
        encoding="utf-8",
    )
    soffice(["--convert-to", "odt:writer8", page.name], tmp_path)
    soffice(["--convert-to", "docx:MS Word 2007 XML", "tabled.odt"], tmp_path)
    soffice(["--convert-to", "pdf:writer_pdf_Export", "tabled.odt"], tmp_path)
    want = judgement(score(page))
    assert want["metrics"].get("admin_litigation_appearance_rate") is not None, want
    for fmt in ("docx", "pdf"):
        rendered = score(tmp_path / f"tabled.{fmt}")
        assert judgement(rendered) == want, fmt
        lines = rendered["normalizedText"].splitlines()
        if fmt == "docx":
            assert "行政机关负责人出庭应诉率 | 96.5%" in lines, lines[-4:]
        else:
            assert any(l.startswith("行政机关负责人出庭应诉率") and "96.5%" in l for l in lines)
