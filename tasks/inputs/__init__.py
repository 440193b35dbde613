"""Inputs of a run: corpus, queries and relevance labels read from BEIR files, labels.jsonl or
Parquet with one-line errors naming file, line and field; the query batch checked against the
corpus (or an existing collection) and fingerprinted."""

from __future__ import annotations

from tasks.inputs.batch import BatchInputs, load_inputs
from tasks.inputs.corpus import load_corpus
from tasks.inputs.hashing import dataset_hash, query_set_hash
from tasks.inputs.labels import QRELS_HEADER, check_labels_against_corpus, load_qrels
from tasks.inputs.queries import load_queries

__all__ = [
    "QRELS_HEADER",
    "BatchInputs",
    "check_labels_against_corpus",
    "dataset_hash",
    "load_corpus",
    "load_inputs",
    "load_qrels",
    "load_queries",
    "query_set_hash",
]
