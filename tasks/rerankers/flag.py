"""`flag`: FlagEmbedding's FlagReranker (e.g. BAAI/bge-reranker-v2-m3); fp16 on CUDA."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasks.rerankers.base import LocalReranker, flatten, require, scatter
from tasks.vectorstore import Hit


class FlagRerankerBackend(LocalReranker):
    backend = "flag"

    def __init__(self, model: str, *, batch_size: int, max_length: int, device: str | None) -> None:
        flag = require("FlagEmbedding", "FlagEmbedding", self.backend)
        self.model = model
        self._batch_size = batch_size
        self._max_length = max_length
        if device is None:
            import torch

            device = "cuda:0" if torch.cuda.is_available() else "cpu"
        # Pinned to one device: FlagEmbedding otherwise spreads over every visible GPU.
        self._reranker = flag.FlagReranker(
            model, use_fp16=device.startswith("cuda"), devices=[device]
        )

    def score(
        self, queries: Sequence[str], candidates: Sequence[Sequence[Hit]]
    ) -> list[np.ndarray]:
        pairs, offsets = flatten(queries, candidates)
        if not pairs:
            return scatter(np.empty(0), offsets)
        # compute_score sorts by length itself; a single pair comes back as a bare float.
        scores = self._reranker.compute_score(
            [list(p) for p in pairs], batch_size=self._batch_size, max_length=self._max_length
        )
        return scatter(np.atleast_1d(np.asarray(scores, dtype=np.float64)), offsets)
