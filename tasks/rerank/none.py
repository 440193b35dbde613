"""`none`: keep the retrieval order (the baseline every report shows)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasks.rerank.base import LocalReranker
from tasks.types import Hit


class RetrievalOrder(LocalReranker):
    backend = "none"
    model = None

    def score(
        self, queries: Sequence[str], candidates: Sequence[Sequence[Hit]]
    ) -> list[np.ndarray]:
        return [np.array([h.score for h in hits], dtype=np.float64) for hits in candidates]
