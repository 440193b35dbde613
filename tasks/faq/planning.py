"""What a refresh recomputes: a hash per question of its text and everything its rows depend on;
a question whose hash changed (or is new) is recomputed, the others are carried over."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from config.settings import DEFAULT_EMBED_BACKEND, Settings
from tasks.errors import InputError
from tasks.faq.layout import FORMAT_VERSION
from tasks.faq.normalize import normalize_query
from tasks.rerank.registry import BACKENDS
from tasks.types import Query

# Settings that change how fast or where scores are computed, not what they are.
_RERANKER_OPERATIONAL = {"batch_size", "batch_tokens", "device", "cache", "cache_dir", "cohere"}
_COHERE_OPERATIONAL = {
    "api_key_secret",
    "requests_per_minute",
    "rate_window_s",
    "max_in_flight",
    "max_documents_per_request",
    "timeout_s",
    "max_attempts",
    "max_retry_seconds",
    "global_limit",
}


def inputs_fingerprint(settings: Settings, corpus_hash: str) -> dict[str, Any]:
    """Everything besides the question that a query's rows depend on. `corpus_hash` is the
    corpus file's hash, or `collection:<fingerprint>` for an existing collection."""
    r = settings.reranker
    reranker = r.model_dump(mode="json", exclude=_RERANKER_OPERATIONAL)
    # Documented as unused by these backends: changing them must not recompute everything.
    if r.backend != "bm25":
        reranker.pop("bm25_weight")
    if not BACKENDS[r.backend].takes_model:
        reranker.pop("model")
        reranker.pop("max_length")
    if r.backend == "cohere":
        reranker["cohere"] = r.cohere.model_dump(mode="json", exclude=_COHERE_OPERATIONAL)
    e = settings.embedder
    embedder: dict[str, Any] = {
        "model": e.model,
        "query_prefix": e.query_prefix,
        "document_prefix": e.document_prefix,
    }
    # Only when not the default: tables written before the setting keep their fingerprint.
    if e.backend != DEFAULT_EMBED_BACKEND:
        embedder["backend"] = e.backend
    if e.backend == "flag":
        embedder["flag_model"] = e.flag_model
    out: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "corpus_hash": corpus_hash,
        # The index is identified by its collection and what it was built from (corpus hash,
        # embedder, document prefix; require_index checks those match); not by where it lives.
        "collection": settings.qdrant.collection,
        "embedder": embedder,
        "reranker": reranker,
        "fetch_k": settings.run.fetch_k,
        "top_k": settings.run.top_k,
    }
    q = settings.qdrant
    if q.existing or q.filter or q.search_params:
        # What is searched and read (only when set: older tables keep their fingerprint).
        out["retrieval"] = q.model_dump(
            mode="json",
            include={"vector", "text_key", "id_key", "group_key", "filter", "search_params"},
        )
    return out


def inputs_hash(query_norm: str, fingerprint: Mapping[str, Any]) -> str:
    payload = json.dumps(
        {"query": query_norm, "inputs": fingerprint}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Plan:
    """Which current questions to recompute and which to carry over; which old ones to drop."""

    todo: list[Query]
    new: list[str]
    carried: list[str]
    dropped: list[str]
    norms: dict[str, str]
    hashes: dict[str, str]


def check_unique_questions(queries: Sequence[Query], source: Path | str) -> dict[str, str]:
    """qid -> normalized text. Two qids with one normalized question would make lookups
    ambiguous, so that is an input error."""
    norms: dict[str, str] = {}
    first: dict[str, tuple[int, str]] = {}
    for n, query in enumerate(queries, start=1):
        norm = normalize_query(query.text)
        if not norm:
            raise InputError(
                f"{source}: entry {n}: field 'text': question of qid {query.qid!r} is empty "
                f"after normalization ({query.text!r}); give it words or remove it"
            )
        if norm in first:
            entry, qid = first[norm]
            raise InputError(
                f"{source}: entry {n}: field 'text': question of qid {query.qid!r} is the same "
                f"as qid {qid!r} (entry {entry}) after normalization: {norm!r}"
            )
        first[norm] = (n, query.qid)
        norms[query.qid] = norm
    return norms


def plan(
    queries: Sequence[Query],
    fingerprint: Mapping[str, Any],
    previous: pa.Table | None,
    source: Path | str,
) -> Plan:
    """New questions, changed questions and questions whose inputs changed are recomputed.

    The hash covers the normalized text, so a qid whose text changed gets a new hash too.
    """
    norms = check_unique_questions(queries, source)
    hashes = {qid: inputs_hash(norm, fingerprint) for qid, norm in norms.items()}
    before = stored_hashes(previous)
    todo = [q for q in queries if before.get(q.qid) != hashes[q.qid]]
    return Plan(
        todo=todo,
        new=[q.qid for q in todo if q.qid not in before],
        carried=[q.qid for q in queries if before.get(q.qid) == hashes[q.qid]],
        dropped=sorted(set(before) - set(norms)),
        norms=norms,
        hashes=hashes,
    )


def stored_hashes(table: pa.Table | None) -> dict[str, str]:
    if table is None:
        return {}
    pairs = table.select(["qid", "inputs_hash"]).to_pylist()
    return {row["qid"]: row["inputs_hash"] for row in pairs}
