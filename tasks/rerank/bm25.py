"""`bm25`: rescore candidates lexically, fuse with dense.

Statistics come from the corpus at index time, or, for an existing collection (no index step,
no corpus file), from each query's own candidate texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tasks.index import lexical
from tasks.rerank.base import LocalReranker
from tasks.types import Hit


def minmax(x: np.ndarray) -> np.ndarray:
    span = x.max() - x.min() if len(x) else 0.0
    return (x - x.min()) / span if span > 0 else np.zeros_like(x)


class BM25Fusion(LocalReranker):
    backend = "bm25"
    model = "bm25s"

    def __init__(self, index_dir: Path | None, weight: float) -> None:
        if index_dir is not None:
            lexical.load(index_dir)  # fail now, with the fix, if the index was never built
        self._index_dir = index_dir
        self._weight = weight

    def _lexical(self, query: str, hits: Sequence[Hit]) -> np.ndarray:
        if self._index_dir is None:
            return lexical.candidate_scores(query, [h.text for h in hits])
        # cached; a re-index in this process clears it
        return lexical.load(self._index_dir).scores(query, [h.doc_id for h in hits])

    def score(
        self, queries: Sequence[str], candidates: Sequence[Sequence[Hit]]
    ) -> list[np.ndarray]:
        out = []
        for query, hits in zip(queries, candidates, strict=True):
            lexical_scores = self._lexical(query, hits)
            dense = np.array([h.score for h in hits], dtype=np.float64)
            # Min-max per query puts both scales on [0, 1] before the convex combination.
            out.append(self._weight * minmax(lexical_scores) + (1 - self._weight) * minmax(dense))
        return out
