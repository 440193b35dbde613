"""Backend by explicit name from config, built once per process."""

from __future__ import annotations

import functools
from pathlib import Path

from config.settings import RerankerSettings
from tasks.rerankers.base import Reranker


@functools.cache
def get_reranker(settings: RerankerSettings, side_index_dir: Path) -> Reranker:
    match settings.backend:
        case "none":
            from tasks.rerankers.none import RetrievalOrder

            return RetrievalOrder()
        case "bm25":
            from tasks.rerankers.bm25 import BM25Fusion

            return BM25Fusion(side_index_dir / "bm25", settings.bm25_weight)
        case "cross-encoder" | "flag":
            if settings.backend == "flag":
                from tasks.rerankers.flag import FlagRerankerBackend as Model
            else:
                from tasks.rerankers.cross_encoder import CrossEncoderReranker as Model
            return Model(
                settings.model,
                batch_size=settings.batch_size,
                max_length=settings.max_length,
                device=settings.device,
            )
    raise ValueError(f"unknown reranker backend '{settings.backend}'")
