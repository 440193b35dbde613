"""The one reranker interface: score every candidate of a batch of queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from tasks.vectorstore import Hit


class Reranker(Protocol):
    backend: str
    model: str | None

    def score(
        self, queries: Sequence[str], candidates: Sequence[Sequence[Hit]]
    ) -> list[np.ndarray]:
        """One array of scores per query, aligned with its candidates; higher is better."""
        ...


class MissingPackageError(ImportError):
    pass


def require(module: str, package: str, backend: str):
    """Import a backend's package or fail with the command that installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingPackageError(
            f"reranker '{backend}' needs the '{package}' package: pip install '{package}'"
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
