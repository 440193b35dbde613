"""`flag`: FlagEmbedding rerankers (e.g. BAAI/bge-reranker-v2-m3), scored by `PairScorer`.

FlagEmbedding loads the model and tokenizer (hub id or local directory); the scoring loop is
ours (tasks/rerank/pair_scoring.py): the same scores as `FlagReranker.compute_score`, faster
(benchmarks/rerank_throughput.py). On CUDA it runs in fp16 unless `reranker.dtype` says
otherwise, pinned to one device, with batches sized from the device's free memory unless
`reranker.batch_tokens` sets them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasks.rerank.base import LocalReranker, flatten, require, scatter
from tasks.rerank.device import resolve_device
from tasks.rerank.pair_scoring import PairScorer
from tasks.types import Hit


class FlagRerankerBackend(LocalReranker):
    backend = "flag"

    def __init__(
        self,
        model: str,
        *,
        batch_size: int,
        max_length: int,
        device: str | None,
        dtype: str = "auto",
        batch_tokens: int | None = None,
    ) -> None:
        flag = require("FlagEmbedding", "FlagEmbedding", self.backend)
        self.model = model
        device = resolve_device(device)
        # Pinned to one device: FlagEmbedding otherwise spreads over every visible GPU.
        # Kept alive: its __del__ moves the (shared) model back to the CPU.
        self._loaded = flag.FlagReranker(model, use_fp16=False, devices=[device])
        self.scorer = PairScorer(
            self._loaded.model,
            self._loaded.tokenizer,
            device=device,
            dtype=dtype,
            batch_size=batch_size,
            max_length=max_length,
            max_tokens=batch_tokens,
        )

    def score(
        self, queries: Sequence[str], candidates: Sequence[Sequence[Hit]]
    ) -> list[np.ndarray]:
        pairs, offsets = flatten(queries, candidates)
        return scatter(self.scorer.score(pairs), offsets)
