"""`bm25`: rescore candidates lexically (corpus statistics from index time), fuse with dense."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tasks import lexical
from tasks.rerankers.base import LocalReranker
from tasks.types import Hit


def minmax(x: np.ndarray) -> np.ndarray:
    span = x.max() - x.min() if len(x) else 0.0
    return (x - x.min()) / span if span > 0 else np.zeros_like(x)


class BM25Fusion(LocalReranker):
    backend = "bm25"
    model = "bm25s"

    def __init__(self, index_dir: Path, weight: float) -> None:
        lexical.load(index_dir)  # fail now, with the fix, if the index was never built
        self._index_dir = index_dir
        self._weight = weight

    def score(
        self, queries: Sequence[str], candidates: Sequence[Sequence[Hit]]
    ) -> list[np.ndarray]:
        index = lexical.load(self._index_dir)  # cached; a re-index in this process clears it
        out = []
        for query, hits in zip(queries, candidates, strict=True):
            lexical_scores = index.scores(query, [h.doc_id for h in hits])
            dense = np.array([h.score for h in hits], dtype=np.float64)
            # Min-max per query puts both scales on [0, 1] before the convex combination.
            out.append(self._weight * minmax(lexical_scores) + (1 - self._weight) * minmax(dense))
        return out
