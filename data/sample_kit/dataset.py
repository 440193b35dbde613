"""Build the corpus and labels rows from the topics, check them, and write them as JSONL."""

from __future__ import annotations

import json
import random
from pathlib import Path

from .corpus import ALT, Corpus
from .labels import LABELS
from .topics import FAMILIES

SEED = 20_240_611


def build() -> tuple[list[dict[str, str]], list[dict[str, object]]]:
    rng = random.Random(SEED)
    corpus = Corpus(rng)
    for family in FAMILIES:
        family(corpus)
    docs = list(corpus.docs)
    rng.shuffle(docs)
    width = max(3, len(str(len(docs))))
    key_to_id = {d.key: f"doc_{i:0{width}d}" for i, d in enumerate(docs, start=1)}
    rows = [{"_id": key_to_id[d.key], "title": d.title, "text": d.text} for d in docs]
    labels: list[dict[str, object]] = []
    for i, label in enumerate(LABELS, start=1):
        missing = [k for k in label.positives if k not in key_to_id]
        if missing:
            raise ValueError(f"query {label.query!r}: unknown positive keys {missing}")
        labels.append(
            {
                "qid": f"q{i:02d}",
                "query": label.query,
                "positives": [key_to_id[k] for k in label.positives],
            }
        )
    return rows, labels


def validate(rows: list[dict[str, str]], labels: list[dict[str, object]]) -> list[str]:
    problems: list[str] = []
    ids = [r["_id"] for r in rows]
    if len(set(ids)) != len(ids):
        problems.append("duplicate document ids")
    for r in rows:
        for field in ("_id", "title", "text"):
            if not r[field].strip():
                problems.append(f"{r['_id']}: empty {field}")
        if ALT.search(r["title"] + r["text"]):
            problems.append(f"{r['_id']}: unexpanded alternative")
    texts = [r["text"] for r in rows]
    if len(set(texts)) != len(texts):
        problems.append("duplicate document texts")
    qids = [str(lab["qid"]) for lab in labels]
    if len(set(qids)) != len(qids):
        problems.append("duplicate qids")
    known = set(ids)
    for lab in labels:
        positives = lab["positives"]
        assert isinstance(positives, list)
        if not str(lab["query"]).strip():
            problems.append(f"{lab['qid']}: empty query")
        if not 1 <= len(positives) <= 3 or len(set(positives)) != len(positives):
            problems.append(f"{lab['qid']}: needs 1-3 distinct positives")
        problems.extend(f"{lab['qid']}: unknown positive {p}" for p in positives if p not in known)
    return problems


def write_jsonl(path: Path, rows: list[dict[str, str]] | list[dict[str, object]]) -> None:
    lines = [json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n" for row in rows]
    path.write_bytes("".join(lines).encode("utf-8"))
