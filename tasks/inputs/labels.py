"""Relevance labels: BEIR `qrels/<split>.tsv` or the hand-written `labels.jsonl`, and the check
that the documents they name exist."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from tasks.errors import InputError
from tasks.inputs.records import (
    MAX_EXAMPLES,
    Seen,
    check_file,
    check_unique,
    field_error,
    first_row_keys,
    id_value,
    iter_jsonl,
    lines,
    required_id,
    short,
    string_field,
    type_name,
)
from tasks.types import Qrels, Query

log = logging.getLogger(__name__)

QRELS_HEADER = ("query-id", "corpus-id", "score")


def parse_labels(path: Path) -> tuple[list[Query], Qrels]:
    """Read the hand-written `labels.jsonl`: `{"qid", "query", "positives": [doc_id, ...]}`."""
    queries: list[Query] = []
    qrels: Qrels = {}
    seen: Seen = {}
    for lineno, row in iter_jsonl(path):
        qid = required_id(path, lineno, row, "qid")
        text = string_field(path, lineno, row, "query", required=True)
        if "positives" not in row or row["positives"] is None:
            raise field_error(path, lineno, "positives", "missing")
        positives = row["positives"]
        if not isinstance(positives, list):
            raise field_error(
                path,
                lineno,
                "positives",
                f"expected an array of doc ids, got {type_name(positives)}",
            )
        if not positives:
            raise field_error(path, lineno, "positives", "empty (every query needs a positive)")
        check_unique(path, lineno, "qid", qid, seen)
        judged: dict[str, int] = {}
        for value in positives:
            doc_id = id_value(path, lineno, "positives", value)
            if doc_id in judged:
                raise field_error(path, lineno, "positives", f"duplicate doc id {short(doc_id)}")
            judged[doc_id] = 1
        queries.append(Query(qid=qid, text=text))
        qrels[qid] = judged
    return queries, qrels


def _load_qrels_tsv(path: Path) -> Qrels:
    qrels: Qrels = {}
    seen_pairs: dict[tuple[str, str], int] = {}
    rows = lines(path)
    header_no, header = next(rows)
    if tuple(col.strip() for col in header.split("\t")) != QRELS_HEADER:
        raise field_error(
            path,
            header_no,
            "header",
            f"expected {short(chr(9).join(QRELS_HEADER))}, got {short(header)}",
        )
    for lineno, line in rows:
        cols = line.split("\t")
        if len(cols) != len(QRELS_HEADER):
            raise field_error(
                path,
                lineno,
                "columns",
                f"expected {len(QRELS_HEADER)} tab-separated columns, got {len(cols)}",
            )
        qid, doc_id, raw_score = (col.strip() for col in cols)
        if not qid:
            raise field_error(path, lineno, "query-id", "empty")
        if not doc_id:
            raise field_error(path, lineno, "corpus-id", "empty")
        try:
            score = int(raw_score)
        except ValueError:
            raise field_error(
                path, lineno, "score", f"expected an integer, got {short(raw_score)}"
            ) from None
        first = seen_pairs.get((qid, doc_id))
        if first is not None:
            raise field_error(
                path,
                lineno,
                "corpus-id",
                f"duplicate pair ({short(qid)}, {short(doc_id)}) (first at line {first})",
            )
        seen_pairs[(qid, doc_id)] = lineno
        qrels.setdefault(qid, {})[doc_id] = score
    if not qrels:
        raise InputError(f"{path}: no judged pairs after the header")
    return qrels


def load_qrels(path: Path) -> Qrels:
    """Read relevance labels from a BEIR `qrels/<split>.tsv` or a `labels.jsonl`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".tsv":
        return _load_qrels_tsv(path)
    if suffix == ".jsonl":
        lineno, keys = first_row_keys(path)
        if "qid" not in keys:
            raise field_error(
                path,
                lineno,
                "qid",
                "missing (a labels file has 'qid', 'query', 'positives'; "
                "BEIR labels are a qrels/<split>.tsv)",
            )
        return parse_labels(path)[1]
    check_file(path)
    raise InputError(f"{path}: unsupported file type {suffix!r} (expected .tsv or .jsonl)")


def check_labels_against_corpus(
    qrels: Qrels,
    doc_ids: set[str],
    source: Path,
    on_missing: Literal["warn", "fail"],
    where: str = "the corpus",
) -> int:
    """Count label rows naming documents absent from the corpus (or `where` they are looked
    up, e.g. a collection); warn or raise if any."""
    if on_missing not in ("warn", "fail"):
        raise ValueError(f"on_missing must be 'warn' or 'fail', got {on_missing!r}")
    absent = [doc_id for judged in qrels.values() for doc_id in judged if doc_id not in doc_ids]
    count = len(absent)
    missing = sorted(set(absent))
    if count == 0:
        return 0
    examples = ", ".join(short(d) for d in missing[:MAX_EXAMPLES])
    more = ", ..." if len(missing) > MAX_EXAMPLES else ""
    message = (
        f"{source}: {count} label row(s) name documents not in {where} "
        f"({len(missing)} distinct, e.g. {examples}{more})"
    )
    if on_missing == "fail":
        raise InputError(message)
    log.warning(message)
    return count
