"""The query batch and its labels for a run, checked against the corpus (or, for an existing
collection, against the collection itself) and fingerprinted."""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import Settings
from tasks.errors import InputError
from tasks.inputs.corpus import load_corpus
from tasks.inputs.hashing import dataset_hash, query_set_hash
from tasks.inputs.labels import check_labels_against_corpus, load_qrels
from tasks.inputs.queries import load_queries
from tasks.types import Qrels, Query


@dataclass(frozen=True)
class BatchInputs:
    queries: list[Query]
    qrels: Qrels | None
    query_set_hash: str
    corpus_hash: str | None  # None: an existing collection, no corpus file
    labels_hash: str | None
    labels_missing_docs: int


def _check_labels(settings: Settings, qrels: Qrels) -> int:
    """Label rows naming documents the corpus (or collection) lacks, per missing_label_docs."""
    ds = settings.dataset
    assert ds.labels is not None
    named = {doc_id for judged in qrels.values() for doc_id in judged}
    if settings.qdrant.existing:
        from tasks.retrieve import existing

        found = existing.ids_in_collection(settings, named)
        where = (
            f"collection '{settings.qdrant.collection}' (matched on {existing.label_key(settings)})"
        )
        existing.require_some_labels_found(settings, named, found)
        return check_labels_against_corpus(qrels, found, ds.labels, ds.missing_label_docs, where)
    assert ds.corpus is not None  # required unless existing
    doc_ids = {d.doc_id for d in load_corpus(ds.corpus)}
    return check_labels_against_corpus(qrels, doc_ids, ds.labels, ds.missing_label_docs)


def load_inputs(settings: Settings) -> BatchInputs:
    ds = settings.dataset
    queries = load_queries(ds.queries, vectors=settings.embedder.backend == "precomputed")
    qrels = load_qrels(ds.labels) if ds.labels else None
    missing = 0
    if qrels is not None:
        missing = _check_labels(settings, qrels)
        if ds.only_labelled:
            labelled = {qid for qid, judged in qrels.items() if any(r > 0 for r in judged.values())}
            queries = [q for q in queries if q.qid in labelled]
    if not queries:
        raise InputError(f"{ds.queries}: no queries to run (only_labelled={ds.only_labelled})")
    return BatchInputs(
        queries=queries,
        qrels=qrels,
        query_set_hash=query_set_hash(queries),
        corpus_hash=dataset_hash(ds.corpus) if ds.corpus else None,
        labels_hash=dataset_hash(ds.labels) if ds.labels else None,
        labels_missing_docs=missing,
    )
