"""Scores each reader's text against the source report: the engine's judgement (kind, year, issuer,
level, parts, area statuses, metrics) and Chinese-character fidelity (difflib ratio of the CJK and
digit sequence), per PDF set; times from extract.tsv."""
import collections, difflib, json, pathlib, re, subprocess, sys
# Usage: python3 compare.py PDF_DIR OUT_DIR (after `pdf-readers extract PDF_DIR/{set} OUT_DIR/{set}`
# for each set, with the timings in OUT_DIR/extract.tsv); FAZHI_BIN names the fazhi binary.
import os
ROOT = pathlib.Path(__file__).resolve().parents[2]
PDFS, OUT = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
FAZHI = os.environ.get("FAZHI_BIN", str(ROOT / "target" / "debug" / "fazhi"))
SETS = ["writer", "docx", "reportlab", "twocol", "twocol2", "table"]
READERS = ["fazhi", "pdf-extract", "pdf_oxide", "poppler"]
src = sorted((PDFS/"src").glob("*.txt"))
def j(a):
    r = a.get("report", {})
    return dict(kind=r.get("kind"), year=r.get("year"), issuer=r.get("issuer"), level=r.get("level"),
        parts=sorted(p["id"] for p in a.get("requiredParts", []) if p.get("present")),
        areas={x["id"]: x.get("status") for x in a.get("areas", [])},
        metrics={m["id"]: m.get("value") for m in a.get("metrics", [])})
want = {}
for f in src:
    out = subprocess.run([FAZHI, "score", "--format", "json", str(f)], capture_output=True)
    want[f.stem] = (j(json.loads(out.stdout.decode().splitlines()[0])), f.read_text(encoding="utf-8"))
keep = lambda t: "".join(re.findall(r"[\u4e00-\u9fff0-9]", t))
times = collections.defaultdict(list)
for line in (OUT/"extract.tsv").read_text().splitlines():
    stem, reader, ms, status = line.split("\t")
    times[reader].append(float(ms))
rows = []
for reader in READERS:
    tot = collections.Counter()
    for s in SETS:
        for f in src:
            w, wtext = want[f.stem]
            path = OUT/s/reader/f"{f.stem}.json"
            txt = (OUT/s/reader/f"{f.stem}.txt").read_text(encoding="utf-8", errors="replace")
            raw = path.read_text() if path.exists() else ""
            g = j(json.loads(raw)) if raw else None
            tot["docs"] += 1
            if g is None:
                tot["failed"] += 1; tot["mw"] += len(w["metrics"]); continue
            tot["same"] += all(w[k] == g[k] for k in w)
            tot["parts"] += w["parts"] == g["parts"]; tot["areas"] += w["areas"] == g["areas"]
            tot["meta"] += all(w[k] == g[k] for k in ("kind", "year", "issuer", "level"))
            tot["m"] += sum(1 for k, v in w["metrics"].items() if g["metrics"].get(k) == v); tot["mw"] += len(w["metrics"])
            tot["sim"] += difflib.SequenceMatcher(None, keep(wtext), keep(txt), autojunk=False).ratio()
            tot[f"same_{s}"] += all(w[k] == g[k] for k in w)
    n = tot["docs"]
    ms = sorted(times[reader])
    print(f"| {reader} | {tot['same']}/{n} | " + " | ".join(f"{tot['same_'+s]}/{len(src)}" for s in SETS)
          + f" | {tot['parts']}/{n} | {tot['areas']}/{n} | {tot['meta']}/{n} | {tot['m']}/{tot['mw']} | {tot['sim']/max(n-tot['failed'],1):.3f} | {sum(ms)/len(ms):.1f} | {tot['failed']} |")
