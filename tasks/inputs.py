"""The query batch and its labels for a run, checked against the corpus and fingerprinted."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from config.settings import Settings
from tasks.loaders import (
    check_labels_against_corpus,
    dataset_hash,
    load_corpus,
    load_qrels,
    load_queries,
)
from tasks.types import Qrels, Query


@dataclass(frozen=True)
class BatchInputs:
    queries: list[Query]
    qrels: Qrels | None
    query_set_hash: str
    corpus_hash: str
    labels_hash: str | None
    labels_missing_docs: int


def query_set_hash(queries: list[Query]) -> str:
    payload = json.dumps([[q.qid, q.text] for q in queries], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def load_inputs(settings: Settings) -> BatchInputs:
    ds = settings.dataset
    queries = load_queries(ds.queries)
    qrels = load_qrels(ds.labels) if ds.labels else None
    missing = 0
    if qrels is not None:
        doc_ids = {d.doc_id for d in load_corpus(ds.corpus)}
        missing = check_labels_against_corpus(qrels, doc_ids, ds.labels, ds.missing_label_docs)
        if ds.only_labelled:
            labelled = {qid for qid, judged in qrels.items() if any(r > 0 for r in judged.values())}
            queries = [q for q in queries if q.qid in labelled]
    if not queries:
        raise ValueError(f"{ds.queries}: no queries to run (only_labelled={ds.only_labelled})")
    return BatchInputs(
        queries=queries,
        qrels=qrels,
        query_set_hash=query_set_hash(queries),
        corpus_hash=dataset_hash(ds.corpus),
        labels_hash=dataset_hash(ds.labels) if ds.labels else None,
        labels_missing_docs=missing,
    )
