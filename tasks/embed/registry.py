"""The backends by name, and the one dispatch every caller uses: `embed_queries`,
`embed_documents`, `embedding_dim`, `check_embedder`. Each backend's module (and its package)
is imported only when that backend is configured."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from config.settings import EmbedderSettings
from tasks.errors import SettingsError
from tasks.types import Query

PRECOMPUTED_INDEX = (
    "embedder.backend precomputed: documents need an embedder to be indexed; index with the "
    "backend and model that made the query vectors (e.g. --set embedder.backend=flag "
    "--set embedder.model=...), then run with embedder.backend precomputed"
)


def embed_queries(queries: Sequence[Query], settings: EmbedderSettings) -> np.ndarray:
    """Query vectors, float32 (n, dim), one row per query in order. Unit-normalised for the
    model backends; precomputed vectors are used as given."""
    texts = [q.text for q in queries]
    match settings.backend:
        case "sentence-transformers":
            from tasks.embed import sentence_transformer

            return sentence_transformer.encode(texts, settings, settings.query_prefix)
        case "flag":
            from tasks.embed import flag

            return flag.encode_queries(texts, settings)
        case "cohere":
            from tasks.embed.cohere import embed_cohere

            return embed_cohere(
                [settings.query_prefix + t for t in texts], settings, "search_query"
            )
        case "precomputed":
            from tasks.embed import precomputed

            return precomputed.query_vectors(queries)
    raise ValueError(f"unknown embedder backend '{settings.backend}'")


def embed_documents(texts: Sequence[str], settings: EmbedderSettings) -> np.ndarray:
    """Unit-normalised float32 document vectors (n, dim), for `rerankflow index`."""
    match settings.backend:
        case "sentence-transformers":
            from tasks.embed import sentence_transformer

            return sentence_transformer.encode(texts, settings, settings.document_prefix)
        case "flag":
            from tasks.embed import flag

            return flag.encode_documents(texts, settings)
        case "cohere":
            from tasks.embed.cohere import embed_cohere

            return embed_cohere(
                [settings.document_prefix + t for t in texts], settings, "search_document"
            )
        case "precomputed":
            raise SettingsError(PRECOMPUTED_INDEX)
    raise ValueError(f"unknown embedder backend '{settings.backend}'")


def embedding_dim(settings: EmbedderSettings) -> int | None:
    """The vectors' dimension; None for precomputed (known from the queries file, checked when
    it is read). Loads the model (once per process)."""
    match settings.backend:
        case "sentence-transformers":
            from tasks.embed import sentence_transformer

            return sentence_transformer.dimension(settings)
        case "flag":
            from tasks.embed import flag

            return flag.dimension(settings)
        case "cohere":
            from tasks.embed.cohere import cohere_dimension

            return cohere_dimension(settings)
        case "precomputed":
            return None
    raise ValueError(f"unknown embedder backend '{settings.backend}'")


def check_embedder(settings: EmbedderSettings) -> None:
    """Before any work, without loading weights: the backend can run (its package and model
    directory for flag, the API key for cohere). Raises a UserError naming the setting."""
    match settings.backend:
        case "flag":
            from tasks.embed import flag

            flag.check(settings)
        case "cohere":
            from tasks.calls.cohere_client import resolve_api_key

            resolve_api_key(settings.cohere)
