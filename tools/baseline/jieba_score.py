#!/usr/bin/env python3
"""The Python baseline fazhi's engine speed is compared with (README "Benchmarks").

What a Python checker of these reports would do, in the usual way: read the file (UTF-8, else
GB18030), segment it with jieba (precise mode, HMM on), count the checklist's strong and weak
phrases among the tokens and in the text per item, split sentences, and pull every figure with
its unit by regex. It judges far less than fazhi; it is only the cost floor of a jieba pipeline.

    taskset -c 0 python3 tools/baseline/jieba_score.py [--repeat N] FILE...

Prints documents processed, seconds (after loading jieba's dictionary) and documents/s.
"""

import argparse
import re
import sys
import time
import tomllib
from pathlib import Path

import jieba

CHECKLIST = Path(__file__).resolve().parents[2] / "workers/engine/checklists/gangyao-2021-2025.toml"
SENTENCE = re.compile(r"[^。！？；\n]+")
FIGURE = re.compile(r"(\d+(?:[.,]\d+)*)\s*(%|件|个|人次|人|项|次|家|份|场|万元|亿元|元|起|条|卷|户)")


def load_items():
    data = tomllib.loads(CHECKLIST.read_text(encoding="utf-8"))
    items = []
    for area in data["areas"]:
        for item in area.get("items", []):
            items.append((area["id"], item["id"], item.get("strong", []), item.get("weak", [])))
    return items


def read(path):
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def score(text, items):
    tokens = jieba.lcut(text)
    vocab = {}
    for t in tokens:
        vocab[t] = vocab.get(t, 0) + 1
    sentences = SENTENCE.findall(text)
    covered = {}
    for area, item, strong, weak in items:
        hits = 0
        for phrase in strong:
            hits += vocab.get(phrase, 0) or text.count(phrase)
        mentions = sum(vocab.get(p, 0) or text.count(p) for p in weak)
        covered[(area, item)] = (hits, mentions)
    figures = []
    for s in sentences:
        for m in FIGURE.finditer(s):
            figures.append((m.group(1), m.group(2), s[:40]))
    return len(tokens), covered, figures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    jieba.setLogLevel(60)
    jieba.initialize()
    items = load_items()
    texts = [read(Path(f)) for f in args.files]
    start = time.perf_counter()
    n = 0
    for _ in range(args.repeat):
        for t in texts:
            score(t, items)
            n += 1
    secs = time.perf_counter() - start
    print(f"{n} documents in {secs:.3f} s: {n / secs:.1f} documents/s")


if __name__ == "__main__":
    sys.exit(main())
