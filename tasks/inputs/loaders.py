"""The input loaders under the import path the code base uses (`tasks.inputs.loaders`).

One module per job: `records` (reading lines, field errors), `corpus`, `queries`, `labels`,
`hashing`. Every loader rejects bad input with a one-line `InputError`:
`{path}:{line}: field '{field}': {problem}`, or `{path}: {problem}` for whole-file problems.
"""

from __future__ import annotations

from tasks.inputs.corpus import load_corpus
from tasks.inputs.hashing import dataset_hash
from tasks.inputs.labels import QRELS_HEADER, check_labels_against_corpus, load_qrels
from tasks.inputs.queries import load_queries

__all__ = [
    "QRELS_HEADER",
    "check_labels_against_corpus",
    "dataset_hash",
    "load_corpus",
    "load_qrels",
    "load_queries",
]
