"""Index a corpus: embed changed documents only, upsert into Qdrant, build BM25 statistics."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

import pyarrow.compute as pc

from config.settings import DEFAULT_EMBED_BACKEND, Settings
from tasks import embed
from tasks.calls.journal import CallJournal, journal_calls
from tasks.errors import NotReadyError, SettingsError
from tasks.index import lexical, store
from tasks.index.side_index import BM25_DIR, CALLS_DIR, INDEX_ID_PREFIX, MARKER, side_index_dir
from tasks.inputs.loaders import dataset_hash, load_corpus
from tasks.report.progress import Progress
from tasks.retrieve.collection import require_collection
from tasks.retrieve.vectorstore import open_client
from tasks.runs import storage
from tasks.runs.layout import new_run_id
from tasks.types import Document

log = logging.getLogger(__name__)


def content_hash(doc: Document, prefix: str = "") -> str:
    """What the vector depends on: the embedded text, document prefix included."""
    return hashlib.sha256((prefix + doc.full_text).encode("utf-8")).hexdigest()[:32]


def plan(
    docs: list[Document], stored: dict[str, str], prefix: str = ""
) -> tuple[list[Document], list[str]]:
    """Documents to (re-)embed and stored ids to delete, by content hash."""
    current = {d.doc_id for d in docs}
    changed = [d for d in docs if stored.get(d.doc_id) != content_hash(d, prefix)]
    removed = sorted(set(stored) - current)
    return changed, removed


def require_index(settings: Settings, corpus_hash: str) -> None:
    """Before a run: the collection exists, and was built whole from this corpus and embedder."""
    require_collection(settings.qdrant)
    side = side_index_dir(settings)
    assert side is not None  # only collections rerankflow manages have an index record
    marker = side / MARKER
    built = json.loads(marker.read_text()) if marker.exists() else None
    fix = "run `rerankflow index` with the same profile first"
    if built is None:
        raise NotReadyError(
            f"{marker}: indexing of '{settings.qdrant.collection}' never finished; {fix}"
        )
    if built["corpus_hash"] != corpus_hash:
        raise NotReadyError(f"{settings.dataset.corpus} changed since it was indexed; {fix}")
    _require_same_embedder(settings, built, fix)


def _require_same_embedder(settings: Settings, built: dict[str, Any], fix: str) -> None:
    """Queries are embedded as the documents were: same backend, model and document prefix.
    Records from before `backend` was recorded are sentence-transformers'; precomputed query
    vectors are checked by dimension (and by model, when embedder.model names one)."""
    e = settings.embedder
    if e.backend == "precomputed":
        if e.model is not None and built.get("embedder") != e.model:
            raise NotReadyError(
                f"collection '{settings.qdrant.collection}' was indexed with embedder "
                f"'{built.get('embedder')}', not '{e.model}' (embedder.model); unset "
                "embedder.model, or give vectors from the model that built the collection"
            )
        return
    was = (built.get("backend", DEFAULT_EMBED_BACKEND), built.get("embedder"))
    if was != (e.backend, e.model) or built.get("document_prefix") != e.document_prefix:
        raise NotReadyError(
            f"collection '{settings.qdrant.collection}' was indexed with embedder "
            f"'{was[1]}' ({was[0]}), not '{e.model}' ({e.backend}) (or another document "
            f"prefix); {fix}"
        )


def index_record(settings: Settings, corpus_hash: str, documents: int) -> dict[str, Any]:
    """What the index marker says the collection was built from; `backend` only when not the
    default, so records written before it existed still match."""
    e = settings.embedder
    record: dict[str, Any] = {
        "corpus_hash": corpus_hash,
        "documents": documents,
        "embedder": e.model,
        "document_prefix": e.document_prefix,
    }
    if e.backend != DEFAULT_EMBED_BACKEND:
        record["backend"] = e.backend
    return record


def check_indexable(settings: Settings) -> None:
    """`index` writes only to a collection rerankflow created (or will create)."""
    if settings.qdrant.existing:
        raise SettingsError(
            f"qdrant.existing is true: collection '{settings.qdrant.collection}' is used "
            "read-only and `rerankflow index` never writes to it; run `rerankflow run` on it "
            "directly (no index step), or index a corpus into another qdrant.collection"
        )
    if settings.embedder.backend == "precomputed":
        raise SettingsError(embed.PRECOMPUTED_INDEX)
    store.refuse_foreign(open_client(settings.qdrant), settings.qdrant.collection)


def index_corpus(settings: Settings) -> dict[str, Any]:
    """Bring the collection in line with the corpus file. Unchanged documents cost no embedding.

    Only a collection rerankflow created is written to: an existing one is refused here (by
    setting) or in `ensure_collection` (no marker), before the first write.
    """
    started = time.perf_counter()
    check_indexable(settings)  # first, before loading anything
    embed.check_embedder(settings.embedder)
    assert settings.dataset.corpus is not None  # required unless existing (settings check)
    client = open_client(settings.qdrant)
    name = settings.qdrant.collection
    docs = load_corpus(settings.dataset.corpus)
    corpus_hash = dataset_hash(settings.dataset.corpus)
    dim = embed.embedding_dim(settings.embedder)
    assert dim is not None and settings.embedder.model is not None  # not precomputed (above)
    created = store.ensure_collection(
        client, name, dim, settings.embedder.model, settings.embedder.backend
    )
    stored = {} if created else store.stored_hashes(client, name)
    prefix = settings.embedder.document_prefix
    changed, removed = plan(docs, stored, prefix)

    embed_s = upsert_s = 0.0
    batch = settings.qdrant.upsert_batch_size
    side = side_index_dir(settings)
    assert side is not None
    # A paid embedder's calls, one journal batch per chunk, under the index record.
    index_id = f"{INDEX_ID_PREFIX}{new_run_id()}"
    progress = Progress("indexing", len(changed), "documents")
    for start in range(0, len(changed), batch):
        chunk = changed[start : start + batch]
        t0 = time.perf_counter()
        journal = CallJournal(side / CALLS_DIR, index_id, start // batch)
        vectors = embed.embed_documents([d.full_text for d in chunk], settings.embedder, journal)
        t1 = time.perf_counter()
        store.upsert(
            client, name, [(d.doc_id, d.full_text, content_hash(d, prefix)) for d in chunk], vectors
        )
        embed_s += t1 - t0
        upsert_s += time.perf_counter() - t1
        progress.advance(len(chunk))
    if removed:
        store.delete(client, name, removed)

    marker = side / MARKER
    bm25_dir = side / BM25_DIR
    bm25_fresh = marker.exists() and json.loads(marker.read_text())["corpus_hash"] == corpus_hash
    t2 = time.perf_counter()
    if not bm25_fresh or not bm25_dir.exists():
        side.mkdir(parents=True, exist_ok=True)
        lexical.build([d.doc_id for d in docs], [d.full_text for d in docs], bm25_dir)
    bm25_s = time.perf_counter() - t2
    # Written last: its presence says the collection and BM25 match this corpus, whole.
    storage.write_json(index_record(settings, corpus_hash, len(docs)), marker)

    report = {
        "collection": name,
        "documents": len(docs),
        "embedded": len(changed),
        "unchanged": len(docs) - len(changed),
        "deleted": len(removed),
        "dim": dim,
        "embedder": settings.embedder.model,
        "corpus_hash": corpus_hash,
        "seconds": {
            "embed": round(embed_s, 3),
            "upsert": round(upsert_s, 3),
            "bm25": round(bm25_s, 3),
            "total": round(time.perf_counter() - started, 3),
        },
    }
    calls = journal_calls(sorted((side / CALLS_DIR).glob("*.parquet")))
    calls = calls.filter(pc.equal(calls.column("run_id"), index_id))
    if calls.num_rows:
        # What this index paid for: its calls are under CALLS_DIR, run_id index_id.
        report["embed_calls"] = {
            "id": index_id,
            "requests": int(pc.sum(pc.invert(calls.column("cache_hit"))).as_py() or 0),
            "billed_tokens": int(pc.sum(calls.column("billed_tokens")).as_py() or 0),
        }
    log.info("indexed %s", report)
    return report
