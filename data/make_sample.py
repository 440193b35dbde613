#!/usr/bin/env python3
"""Generate rerankflow's sample dataset: help-centre docs for a fictional app, labelled queries.

The product is "Lumio", an invented team note-taking and task app. Every document and query is
written by this script from hand-written templates; nothing is copied from elsewhere.

Documents are composed from per-topic text in which ``[a|b|c]`` marks alternative phrasings; a
seeded ``random.Random`` picks one of each and shuffles the documents before ids are assigned, so
the output is deterministic. Topics deliberately contain near-duplicates that differ in one
crucial detail (format, platform, error code, plan), so dense retrieval finds the neighbourhood
but not always the right document first.

The content and machinery live in ``data/sample_kit/`` (``topics/`` holds the articles,
``labels.py`` the queries); running this file puts ``data/`` first on ``sys.path``, so the kit
imports without installing anything.

Usage::

    python data/make_sample.py            # writes data/sample/{corpus,labels}.jsonl

Running it twice produces byte-identical files.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sample_kit import build, validate, write_jsonl

OUT_DIR = Path(__file__).resolve().parent / "sample"
CORPUS_PATH = OUT_DIR / "corpus.jsonl"
LABELS_PATH = OUT_DIR / "labels.jsonl"


def main() -> int:
    rows, labels = build()
    problems = validate(rows, labels)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        return 1
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    write_jsonl(CORPUS_PATH, rows)
    write_jsonl(LABELS_PATH, labels)
    words = [len(r["text"].split()) for r in rows]
    n_pos = sum(len(lab["positives"]) for lab in labels)  # type: ignore[arg-type]
    print(
        f"documents: {len(rows)} (text words min {min(words)}, max {max(words)}, "
        f"mean {sum(words) / len(words):.1f}) -> {CORPUS_PATH}"
    )
    print(f"queries:   {len(labels)} ({n_pos} positives) -> {LABELS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
