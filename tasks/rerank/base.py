"""The one reranker interface: rerank every candidate of a batch of queries, logging calls."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from tasks.types import Hit

if TYPE_CHECKING:
    from tasks.calls.journal import CallJournal


@dataclass
class RerankResult:
    """Scores per query (None where the query failed), why each failure, one row per call."""

    scores: list[np.ndarray | None]
    failures: dict[int, str] = field(default_factory=dict)
    # Call-log rows (tasks.calls.calllog.CALLS_SCHEMA, less run_id and batch).
    calls: list[dict[str, Any]] = field(default_factory=list)
    # Queries served from / missing from the rerank cache (billed backends only).
    cache_hits: int = 0
    cache_misses: int = 0
    # An error that stopped the batch part-way (a refused key, a bug). The batch's finished
    # queries and failures are written first; then the caller raises it.
    fatal: BaseException | None = None


class Reranker(Protocol):
    backend: str
    model: str | None

    def rerank(
        self,
        qids: Sequence[str],
        queries: Sequence[str],
        candidates: Sequence[Sequence[Hit]],
        journal: CallJournal | None = None,
    ) -> RerankResult:
        """`journal`: where a billed backend records each paid call as it returns."""
        ...


class LocalReranker:
    """A backend that scores on this machine: `score` the batch, log one call row per query."""

    backend: str
    model: str | None

    def score(
        self, queries: Sequence[str], candidates: Sequence[Sequence[Hit]]
    ) -> list[np.ndarray]:
        """One array of scores per query, aligned with its candidates; higher is better."""
        raise NotImplementedError

    def rerank(
        self,
        qids: Sequence[str],
        queries: Sequence[str],
        candidates: Sequence[Sequence[Hit]],
        journal: CallJournal | None = None,
    ) -> RerankResult:
        # Nothing is paid per call here: the batch's part logs the calls, no journal needed.
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        scores = self.score(queries, candidates)
        seconds = time.perf_counter() - t0
        pairs = sum(len(h) for h in candidates)
        calls = [
            {
                **call_row(self.backend, self.model, qid, query, hits, started),
                # One batched forward pass serves many queries: split its time by pairs.
                "device_seconds": seconds * len(hits) / pairs if pairs else 0.0,
                "latency_s": seconds,
            }
            for qid, query, hits in zip(qids, queries, candidates, strict=True)
        ]
        return RerankResult(scores=list(scores), calls=calls)


def call_row(
    backend: str, model: str | None, qid: str, query: str, hits: Sequence[Hit], at: datetime
) -> dict[str, Any]:
    """The fields every call-log row has, whatever the backend."""
    return {
        "backend": backend,
        "model": model or backend,
        "qid": qid,
        "documents": len(hits),
        "query_chars": len(query),
        "document_chars": sum(len(h.text) for h in hits),
        "started_at": at,
    }


class MissingPackageError(ImportError):
    pass


def require(module: str, package: str, backend: str, what: str = "reranker"):
    """Import a backend's package or fail with the command that installs it (`what`: the
    reranker's or the embedder's backend)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingPackageError(
            f"{what} '{backend}' needs the '{package}' package: pip install '{package}'"
        ) from exc


def flatten(
    queries: Sequence[str], candidates: Sequence[Sequence[Hit]]
) -> tuple[list[tuple[str, str]], list[int]]:
    """All (query, document) pairs of a query batch, plus each query's offset into them."""
    pairs = [(q, hit.text) for q, hits in zip(queries, candidates, strict=True) for hit in hits]
    offsets = np.cumsum([0] + [len(hits) for hits in candidates]).tolist()
    return pairs, offsets


def scatter(flat: np.ndarray, offsets: list[int]) -> list[np.ndarray]:
    return [flat[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def length_order(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """Longest first, so each batch pads to similar lengths (FlagEmbedding's habit)."""
    return np.argsort([-(len(q) + len(d)) for q, d in pairs], kind="stable")


def score_sorted(pairs: Sequence[tuple[str, str]], score_fn) -> np.ndarray:
    """Score pairs in length order, return scores in the original order."""
    order = length_order(pairs)
    out = np.empty(len(pairs), dtype=np.float64)
    if len(pairs):
        out[order] = np.asarray(score_fn([pairs[i] for i in order]), dtype=np.float64).reshape(-1)
    return out
