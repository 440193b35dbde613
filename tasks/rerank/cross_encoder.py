"""`cross-encoder`: a sentence-transformers CrossEncoder (hub id or local directory)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasks.rerank.base import LocalReranker, flatten, require, scatter, score_sorted
from tasks.types import Hit


class CrossEncoderReranker(LocalReranker):
    backend = "cross-encoder"

    def __init__(self, model: str, *, batch_size: int, max_length: int, device: str | None) -> None:
        st = require("sentence_transformers", "sentence-transformers", self.backend)
        self.model = model
        self._batch_size = batch_size
        self._encoder = st.CrossEncoder(model, max_length=max_length, device=device)

    def score(
        self, queries: Sequence[str], candidates: Sequence[Sequence[Hit]]
    ) -> list[np.ndarray]:
        pairs, offsets = flatten(queries, candidates)
        flat = score_sorted(
            pairs,
            lambda batch: self._encoder.predict(
                batch, batch_size=self._batch_size, show_progress_bar=False, convert_to_numpy=True
            ),
        )
        return scatter(flat, offsets)
