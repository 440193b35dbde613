"""Fingerprints recorded in run manifests: of an input file, and of a query set."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tasks.errors import InputError
from tasks.inputs.records import check_file
from tasks.types import Query

_HASH_CHUNK = 1 << 20


def dataset_hash(path: Path) -> str:
    """Hex sha256 of the file's bytes, read in chunks."""
    path = Path(path)
    check_file(path)
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def query_set_hash(queries: list[Query]) -> str:
    """Hex sha256 of the queries' ids and texts, in order: the same batch gets the same hash.
    Precomputed vectors count too (a resume must not mix two sets of vectors); queries without
    them hash as they always did."""
    rows: list[list[str]] = [
        [q.qid, q.text]
        if q.vector is None
        else [q.qid, q.text, hashlib.sha256(q.vector.tobytes()).hexdigest()]
        for q in queries
    ]
    payload = json.dumps(rows, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
