"""Hybrid queries (qdrant.sparse_vector): dense and sparse prefetches fused by RRF or DBSF.

The collection is the shipped example script's (data/make_existing_collection.py --sparse bm25)
over the sample's first 100 documents: chunks with a named vector "dense" and a sparse vector
"sparse" (Modifier.IDF), in an embedded store the module builds. Every comparison calls
qdrant-client's Query API directly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

from config.settings import load_settings
from flows import preflight
from tasks import embed
from tasks.errors import SettingsError
from tasks.index import lexical
from tasks.inputs import batch as inputs
from tasks.retrieve import existing, hybrid, sparse, vectorstore
from tasks.retrieve.batch import retrieve
from tasks.types import Hit, Query
from tests.helpers import SAMPLE, existing_collection_script

COLLECTION = "sample_hybrid"
CORPUS_DOCS = 100


@pytest.fixture(scope="module")
def hybrid_store(tmp_path_factory) -> Path:
    """The example collection with bm25 sparse vectors, in its own store (closed: not held)."""
    tmp = tmp_path_factory.mktemp("hybrid")
    # A third of the sample keeps the embedding cheap; the queries need no labels here.
    corpus = tmp / "corpus.jsonl"
    lines = (SAMPLE / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    corpus.write_text("\n".join(lines[:CORPUS_DOCS]) + "\n", encoding="utf-8")
    path = tmp / "qdrant"
    client = QdrantClient(path=str(path))
    existing_collection_script().build(client, COLLECTION, corpus, sparse="bm25")
    client.close()
    return path


def hybrid_settings(store: Path, tmp: Path, **extra):
    return load_settings(
        "existing",
        {
            "qdrant.path": str(store),
            "qdrant.collection": COLLECTION,
            "qdrant.sparse_vector": "sparse",
            "qdrant.sparse_query": "bm25",
            "run.runs_root": str(tmp / "runs"),
            "index_dir": str(tmp / "index"),
            "dataset.queries": str(SAMPLE / "labels.jsonl"),
            "dataset.labels": None,
            **extra,
        },
    )


def direct(
    client: QdrantClient,
    queries: list[Query],
    limit: int,
    prefetch: int,
    fusion: models.Fusion,
    flt: models.Filter | None = None,
) -> list[list[Hit]]:
    """qdrant-client's Query API, one query at a time, with query vectors made here."""
    dense = embed.embed_queries(queries, load_settings("existing").embedder)
    out = []
    for vec, sp in zip(dense, sparse.bm25_query_vectors([q.text for q in queries]), strict=True):
        points = client.query_points(
            COLLECTION,
            prefetch=[
                models.Prefetch(query=vec.tolist(), using="dense", limit=prefetch),
                models.Prefetch(query=sp, using="sparse", limit=prefetch),
            ],
            query=models.FusionQuery(fusion=fusion),
            query_filter=flt,
            limit=limit,
            with_payload=True,
        ).points
        out.append(
            [Hit(str(p.id), p.payload["text"], p.score, p.payload["source"]) for p in points]
        )
    return out


def plain_client(store: Path) -> QdrantClient:
    vectorstore.close_clients()  # embedded Qdrant admits one client per folder
    return QdrantClient(path=str(store))


# --------------------------------------------------------------------------- settings


def test_hybrid_settings_are_refused_where_they_cannot_work():
    cases = [
        ({"qdrant.sparse_vector": "sparse"}, "qdrant.sparse_query: required"),
        ({"qdrant.fusion": "dbsf"}, "qdrant.fusion: only for hybrid queries"),
        ({"qdrant.prefetch_limit": 100}, "qdrant.prefetch_limit: only for hybrid queries"),
    ]
    for overrides, says in cases:
        with pytest.raises(SettingsError, match=re.escape(says)) as err:
            load_settings("existing", overrides)
        assert "\n" not in str(err.value)
    with pytest.raises(SettingsError, match=r"qdrant.sparse_vector: only for a collection"):
        load_settings("demo", {"qdrant.sparse_vector": "sparse", "qdrant.sparse_query": "bm25"})


# --------------------------------------------------------------------------- sparse vectors


def test_bm25_sparse_scores_are_the_projects_bm25(hybrid_store):
    """Qdrant's IDF over the stored term-frequency parts is bm25s' BM25 over the same tokens."""
    import bm25s

    client = plain_client(hybrid_store)
    points, _ = client.scroll(COLLECTION, limit=1000, with_payload=["text"])
    ids, texts = [p.id for p in points], [p.payload["text"] for p in points]
    retriever = bm25s.BM25(k1=sparse.BM25_K1, b=sparse.BM25_B)
    retriever.index(lexical.tokenize(texts), show_progress=False)
    for query in ["move my notes over from evernote", "export notebook to markdown markdown"]:
        [vec] = sparse.bm25_query_vectors([query])
        found = client.query_points(COLLECTION, query=vec, using="sparse", limit=len(ids)).points
        tokens = list(dict.fromkeys(lexical.tokenize([query])[0]))  # a repeated term counts once
        want = retriever.get_scores(tokens)
        got = dict.fromkeys(ids, 0.0) | {p.id: p.score for p in found}
        assert len(found) > 5
        np.testing.assert_allclose([got[i] for i in ids], want, rtol=1e-5, atol=1e-6)
    client.close()


# --------------------------------------------------------------------------- queries


@pytest.mark.parametrize("fusion", ["rrf", "dbsf"])
def test_hybrid_hits_equal_the_query_api_called_directly(hybrid_store, tmp_path, fusion):
    s = hybrid_settings(hybrid_store, tmp_path, **{"qdrant.fusion": fusion})
    queries = inputs.load_inputs(s).queries[:6]
    hits, _ = retrieve(s, queries)
    client = plain_client(hybrid_store)
    want = direct(client, queries, 50, 50, models.Fusion(fusion))
    assert hits == want  # ids, order, scores, texts, groups
    assert all(len(h) == 50 for h in hits)

    # The fusion reads both lists: some hits come from the sparse list alone.
    dense_only = {
        str(p.id)
        for vec in embed.embed_queries(queries, s.embedder)
        for p in client.query_points(COLLECTION, query=vec.tolist(), using="dense", limit=50).points
    }
    assert {h.doc_id for qh in hits for h in qh} - dense_only
    client.close()


def test_prefetch_limit_and_filter_apply_inside_both_lists(hybrid_store, tmp_path):
    tenant = {"must": [{"key": "source", "match": {"any": ["doc_258", "doc_001", "doc_274"]}}]}
    s = hybrid_settings(
        hybrid_store,
        tmp_path,
        **{"qdrant.filter": tenant, "qdrant.prefetch_limit": 4, "run.fetch_k": 5, "run.top_k": 5},
    )
    queries = inputs.load_inputs(s).queries[:3]
    hits, _ = retrieve(s, queries)
    client = plain_client(hybrid_store)
    flt = models.Filter.model_validate(tenant)
    # The filter on the fused query reaches the prefetches: each list holds tenant points only.
    want = direct(client, queries, 5, 4, models.Fusion.RRF, flt)
    client.close()
    assert hits == want
    assert all(0 < len(h) <= 5 for h in hits)
    assert {h.group_id for qh in hits for h in qh} <= {"doc_258", "doc_001", "doc_274"}


# --------------------------------------------------------------------------- checks


def test_a_collection_that_cannot_answer_stops_before_work(hybrid_store, tmp_path):
    s = hybrid_settings(hybrid_store, tmp_path)
    [line] = [c for c in existing.collection_checks(s) if c.name == "sparse"]
    assert line.status == "ok" and "8 sampled points agree" in line.detail

    cases = [
        (
            {"qdrant.sparse_vector": "text-sparse"},
            "no sparse vector named 'text-sparse' (qdrant.sparse_vector); its sparse vectors: "
            "'sparse' (idf); set qdrant.sparse_vector to one of: sparse",
        ),
        ({"qdrant.sparse_query": "bge-m3"}, "needs no modifier (lexical weights are final)"),
    ]
    for overrides, says in cases:
        with pytest.raises(SettingsError, match=re.escape(says)) as err:
            preflight.check_run(hybrid_settings(hybrid_store, tmp_path, **overrides))
        assert "\n" not in str(err.value)
    vectorstore.close_clients()


def test_sparse_vectors_made_another_way_are_refused(tmp_path):
    """Indices that the bm25 convention does not make from the point's text: a wrong score."""
    store = tmp_path / "q"
    client = QdrantClient(path=str(store))
    client.create_collection(
        COLLECTION,
        vectors_config={"dense": models.VectorParams(size=384, distance=models.Distance.COSINE)},
        sparse_vectors_config={"sparse": models.SparseVectorParams(modifier=models.Modifier.IDF)},
    )
    rng = np.random.default_rng(0)
    text = "Export a notebook to PDF from the share menu."
    [right] = sparse.bm25_document_vectors([text])
    other = models.SparseVector(indices=[3, 17, 99], values=[1.0, 1.0, 1.0])  # a vocabulary's
    client.upsert(
        COLLECTION,
        points=[
            models.PointStruct(
                id=i,
                vector={"dense": rng.random(384).tolist(), "sparse": vec},
                payload={"text": text, "source": f"doc_{i}"},
            )
            for i, vec in enumerate([right, other])
        ],
    )
    client.close()
    s = hybrid_settings(store, tmp_path)
    found = hybrid.check_sparse_vector(s)
    assert found.status == "FAIL"
    assert "point 1: only 0% of its 'sparse' indices" in found.detail
    vectorstore.close_clients()


# --------------------------------------------------------------------------- bge-m3


def test_bge_m3_lexical_weights_query_the_sparse_vector(tmp_path):
    """A collection built with a (tiny, random) BGE-M3's dense and lexical-weight vectors: the
    hits equal the Query API called with vectors from BGEM3FlagModel itself."""
    from FlagEmbedding import BGEM3FlagModel

    from tests.helpers.flag_models import build_tiny_bge_m3

    model_dir = build_tiny_bge_m3(tmp_path / "bge-m3")
    docs = [
        json.loads(line)
        for line in (SAMPLE / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:40]
    ]
    s = hybrid_settings(
        tmp_path / "q",
        tmp_path,
        **{
            "qdrant.sparse_query": "bge-m3",
            "embedder.backend": "flag",
            "embedder.model": str(model_dir),
            "embedder.flag_model": "bge-m3",
            "run.fetch_k": 20,
        },
    )
    texts = [d["text"] for d in docs]
    dense = embed.embed_documents(texts, s.embedder)
    lexical_weights = hybrid.bge_m3_vectors(texts, s.embedder, queries=False)
    client = QdrantClient(path=str(tmp_path / "q"))
    client.create_collection(
        COLLECTION,
        vectors_config={
            "dense": models.VectorParams(size=dense.shape[1], distance=models.Distance.COSINE)
        },
        sparse_vectors_config={"sparse": models.SparseVectorParams()},
    )
    client.upsert(
        COLLECTION,
        points=[
            models.PointStruct(
                id=i,
                vector={"dense": dense[i].tolist(), "sparse": lexical_weights[i]},
                payload={"text": texts[i], "source": d["_id"]},
            )
            for i, d in enumerate(docs)
        ],
    )
    client.close()
    [line] = [c for c in existing.collection_checks(s) if c.name == "sparse"]
    assert line.status == "ok" and "(no modifier), queries by bge-m3" in line.detail

    queries = inputs.load_inputs(s).queries[:4]
    hits, _ = retrieve(s, queries)
    model = BGEM3FlagModel(str(model_dir), use_fp16=False, devices=["cpu"])
    out = model.encode_queries(
        [q.text for q in queries], return_dense=True, return_sparse=True, return_colbert_vecs=False
    )
    client = plain_client(tmp_path / "q")
    for qhits, vec, weights in zip(hits, out["dense_vecs"], out["lexical_weights"], strict=True):
        sp = models.SparseVector(
            indices=[int(t) for t in weights], values=[float(w) for w in weights.values()]
        )
        points = client.query_points(
            COLLECTION,
            prefetch=[
                models.Prefetch(query=vec.tolist(), using="dense", limit=20),
                models.Prefetch(query=sp, using="sparse", limit=20),
            ],
            query=models.FusionQuery(fusion=models.Fusion.RRF),
            limit=20,
            with_payload=True,
        ).points
        assert sp.indices and len(qhits) == 20
        assert [(h.doc_id, h.score) for h in qhits] == [(str(p.id), p.score) for p in points]
    client.close()

    # The lexical weights are the embedder's own model's: another backend is refused.
    st = hybrid_settings(tmp_path / "q", tmp_path, **{"qdrant.sparse_query": "bge-m3"})
    found = hybrid.check_sparse_vector(st)
    assert found.status == "FAIL" and "embedder.backend is sentence-transformers" in found.detail
    assert found.fix.startswith("set embedder.backend: flag and embedder.flag_model: bge-m3")
    vectorstore.close_clients()
