"""Indexing: content hashes make re-indexing free; a mismatched collection is refused."""

from __future__ import annotations

import json

import pytest

from config.settings import load_settings
from tasks.errors import NotReadyError
from tasks.index import indexing, store
from tasks.index.store import IndexMismatchError
from tasks.retrieve.vectorstore import open_client
from tests.helpers import profile_overrides


@pytest.fixture
def small_corpus(tmp_path):
    path = tmp_path / "corpus.jsonl"
    rows = [
        {"_id": f"d{i}", "title": f"Topic {i}", "text": f"body text number {i} about widgets"}
        for i in range(12)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, rows


def test_reindex_embeds_only_changed_documents(tmp_path, small_corpus):
    path, rows = small_corpus
    settings = load_settings(
        "demo",
        profile_overrides(tmp_path, **{"dataset.corpus": str(path), "qdrant.collection": "t1"}),
    )
    first = indexing.index_corpus(settings)
    assert (first["embedded"], first["unchanged"]) == (12, 0)
    again = indexing.index_corpus(settings)
    assert (again["embedded"], again["unchanged"], again["deleted"]) == (0, 12, 0)

    rows[3]["text"] = "rewritten body"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows[:-1]))  # d11 removed
    changed = indexing.index_corpus(settings)
    assert (changed["embedded"], changed["unchanged"], changed["deleted"]) == (1, 10, 1)
    client = open_client(settings.qdrant)
    assert client.count("t1").count == 11
    assert store.stored_hashes(client, "t1")["d3"] == indexing.content_hash(
        indexing.load_corpus(path)[3]
    )


def test_collection_from_another_embedder_is_refused(tmp_path):
    settings = load_settings("demo", profile_overrides(tmp_path))
    client = open_client(settings.qdrant)
    store.ensure_collection(client, "mixed", 384, "all-MiniLM-L6-v2")
    with pytest.raises(IndexMismatchError, match="768-d"):
        store.ensure_collection(client, "mixed", 768, "some/other-model")
    with pytest.raises(IndexMismatchError, match="other-model"):
        store.ensure_collection(client, "mixed", 384, "some/other-model")


def test_runs_refuse_a_stale_or_foreign_index(tmp_path, small_corpus):
    path, rows = small_corpus
    overrides = profile_overrides(
        tmp_path, **{"dataset.corpus": str(path), "qdrant.collection": "t2"}
    )
    settings = load_settings("demo", overrides)
    with pytest.raises(NotReadyError, match="rerankflow index"):
        indexing.require_index(settings, "whatever")
    report = indexing.index_corpus(settings)
    indexing.require_index(settings, report["corpus_hash"])  # fresh: no error
    with pytest.raises(NotReadyError, match="changed since it was indexed"):
        indexing.require_index(settings, "another-corpus-hash")
    e5_style = load_settings("demo", {**overrides, "embedder.document_prefix": "passage: "})
    with pytest.raises(NotReadyError, match="indexed with embedder"):
        indexing.require_index(e5_style, report["corpus_hash"])
    # A new document prefix changes every vector, so everything is embedded again.
    assert indexing.index_corpus(e5_style)["embedded"] == len(rows)
    indexing.require_index(e5_style, report["corpus_hash"])
