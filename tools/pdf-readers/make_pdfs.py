"""Builds the PDF sets the readers are compared on, each from a text report whose judgement is known:
writer (LibreOffice Writer, text import -> PDF), docx (Writer saves DOCX, the DOCX reopened and
exported: the Word-file route), reportlab (one column, CJK wrapping), twocol (reportlab, two
columns a page), table (reportlab, the report followed by a table of figures)."""
import html, pathlib, shutil, subprocess, sys
# Usage: python3 make_pdfs.py OUT_DIR  (needs soffice, fonts-wqy-zenhei, reportlab)
import os
ROOT = pathlib.Path(__file__).resolve().parents[2]
C = pathlib.Path(os.environ.get("FAZHI_CORPUS", ROOT.parent / "shared" / "corpus"))
OUT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "pdfs").resolve()
files = sorted((ROOT/"examples/reports").glob("*.txt")) + sorted((C/"seeds").glob("*.txt")) + sorted((C/"synthetic").glob("*.txt"))
src = OUT/"src"; src.mkdir(parents=True, exist_ok=True)
for f in files: shutil.copy(f, src/f.name)
def soffice(args, cwd):
    subprocess.run(["soffice", f"-env:UserInstallation=file://{cwd}/profile", "--headless", *args], cwd=cwd, check=True, capture_output=True, timeout=900)
names = [f.name for f in files]
soffice(["--infilter=Text (encoded):UTF8,LF,,,", "--convert-to", "odt:writer8", *names], src)
odts = [pathlib.Path(n).with_suffix(".odt").name for n in names]
soffice(["--convert-to", "pdf:writer_pdf_Export", *odts], src)
(OUT/"writer").mkdir(exist_ok=True)
for n in names: shutil.move(src/pathlib.Path(n).with_suffix(".pdf").name, OUT/"writer"/pathlib.Path(n).with_suffix(".pdf").name)
soffice(["--convert-to", "docx:MS Word 2007 XML", *odts], src)
docx = [pathlib.Path(n).with_suffix(".docx").name for n in names]
soffice(["--convert-to", "pdf:writer_pdf_Export", *docx], src)
(OUT/"docx").mkdir(exist_ok=True)
for n in names: shutil.move(src/pathlib.Path(n).with_suffix(".pdf").name, OUT/"docx"/pathlib.Path(n).with_suffix(".pdf").name)
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, BaseDocTemplate, Frame, PageTemplate, Table
pdfmetrics.registerFont(TTFont("wqy", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", subfontIndex=0))
style = ParagraphStyle("b", fontName="wqy", fontSize=12, leading=20, firstLineIndent=24, wordWrap="CJK")
for d in ("reportlab", "twocol", "twocol2", "table"): (OUT/d).mkdir(exist_ok=True)
st2 = ParagraphStyle("b2", fontName="wqy", fontSize=10.5, leading=17, firstLineIndent=21, wordWrap="CJK", alignment=4)
for f in files:
    lines = [l.strip() for l in f.read_text(encoding="utf-8").splitlines() if l.strip()]
    paras = [Paragraph(html.escape(l), style) for l in lines]
    SimpleDocTemplate(str(OUT/"reportlab"/f"{f.stem}.pdf"), pagesize=A4).build(list(paras))
    doc = BaseDocTemplate(str(OUT/"twocol"/f"{f.stem}.pdf"), pagesize=A4)
    w, h = A4; m = 50; gap = 20; cw = (w - 2*m - gap) / 2
    doc.addPageTemplates([PageTemplate(frames=[Frame(m, m, cw, h-2*m), Frame(m+cw+gap, m, cw, h-2*m)])])
    doc.build([Paragraph(html.escape(l), style) for l in lines])
    doc = BaseDocTemplate(str(OUT/"twocol2"/f"{f.stem}.pdf"), pagesize=A4)
    m2, gap2 = 70, 36; cw2 = (w - 2*m2 - gap2) / 2
    doc.addPageTemplates([PageTemplate(frames=[Frame(m2, m2, cw2, h-2*m2), Frame(m2+cw2+gap2, m2, cw2, h-2*m2)])])
    doc.build([Paragraph(html.escape(l), st2) for l in lines])
    t = Table([["指标", "数值"], ["行政机关负责人出庭应诉率", "96.5%"], ["行政复议案件", "57件"]], style=[("FONTNAME", (0,0), (-1,-1), "wqy")])
    SimpleDocTemplate(str(OUT/"table"/f"{f.stem}.pdf"), pagesize=A4).build([Paragraph(html.escape(l), style) for l in lines] + [t])
print(len(files), "sources")
