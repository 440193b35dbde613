"""A team's own collection on real data: SciFact abstracts chunked into an existing-style
Qdrant collection (integer ids, named vector, {text, source, chunk} payload) by the shipped
example script (plain qdrant-client), labels naming the source abstracts. rerankflow reads it
read-only and scores the group (source) ranking; the test recomputes group recall@5 and
recall@50 from its own query of the same collection.

A subset keeps it within the suite's budget: every abstract a test-split label names plus
distractors up to SUBSET documents (about three chunks each), embedded once per session.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from config.settings import EmbedderSettings, load_settings
from flows.rerank_batch import rerank_batch
from tasks import embed
from tasks.inputs.loaders import load_qrels, load_queries
from tasks.retrieve import vectorstore
from tests.helpers import DATASETS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DATASETS / "scifact").exists(), reason="../shared/datasets/scifact absent"
    ),
]

SUBSET = 700
SENTENCES_PER_CHUNK = 3
COLLECTION = "scifact_chunks"


@pytest.fixture(scope="module")
def chunked_scifact(tmp_path_factory):
    """(qdrant path, profile overrides, abstracts, chunks) of the chunked collection, built by
    the shipped example script (plain qdrant-client, as a team would) on a subset corpus."""
    from qdrant_client import QdrantClient

    from tests.helpers import existing_collection_script

    root = tmp_path_factory.mktemp("existing-scifact")
    scifact = DATASETS / "scifact"
    qrels = load_qrels(scifact / "qrels" / "test.tsv")
    labelled = {d for judged in qrels.values() for d, rel in judged.items() if rel > 0}
    lines = (scifact / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    ids = [json.loads(line)["_id"] for line in lines]
    keep = [line for line, i in zip(lines, ids, strict=True) if i in labelled]
    keep += [line for line, i in zip(lines, ids, strict=True) if i not in labelled][
        : SUBSET - len(keep)
    ]
    corpus = root / "corpus.jsonl"
    corpus.write_text("\n".join(keep) + "\n", encoding="utf-8")
    path = root / "qdrant"
    client = QdrantClient(path=str(path))
    n_chunks = existing_collection_script().build(
        client, COLLECTION, corpus, sentences=SENTENCES_PER_CHUNK
    )
    client.close()
    overrides = {
        "qdrant.path": str(path),
        "qdrant.collection": COLLECTION,
        "qdrant.existing": True,
        "qdrant.vector": "dense",
        "qdrant.group_key": "source",
        "dataset.corpus": None,
        "dataset.queries": str(scifact / "queries.jsonl"),
        "dataset.labels": str(scifact / "qrels" / "test.tsv"),
        "run.runs_root": str(root / "runs"),
        "run.fetch_k": 50,
        "run.ks": [1, 5, 10, 50],
        "index_dir": str(root / "index"),
    }
    return path, overrides, len(keep), n_chunks


def _independent_group_recall(path, qrels, queries, ks):
    """Query the collection with plain qdrant-client and score the MaxP source ranking."""
    from qdrant_client import QdrantClient

    vectorstore.close_clients()  # embedded Qdrant: one client per path
    client = QdrantClient(path=str(path))
    try:
        vectors = embed.embed_queries(queries, EmbedderSettings())
        recall: dict[int, list[float]] = {k: [] for k in ks}
        for query, vec in zip(queries, vectors, strict=True):
            points = client.query_points(
                COLLECTION, query=vec.tolist(), using="dense", limit=50, with_payload=True
            ).points
            sources: list[str] = []
            for p in points:  # best first: a source ranks where its best chunk does
                if p.payload["source"] not in sources:
                    sources.append(p.payload["source"])
            relevant = {d for d, rel in qrels[query.qid].items() if rel > 0}
            for k in ks:
                recall[k].append(len(relevant & set(sources[:k])) / len(relevant))
        return {k: float(np.mean(v)) for k, v in recall.items()}
    finally:
        client.close()


def test_group_recall_on_chunked_scifact(prefect_server, chunked_scifact):
    path, overrides, n_docs, n_chunks = chunked_scifact
    assert n_chunks > 2 * n_docs  # really chunked: sources repeat in the candidates
    settings = load_settings("scifact", overrides)
    result = rerank_batch(profile="scifact", overrides=overrides)
    metrics = result["metrics"]
    assert metrics["unit"]["level"] == "group"
    assert metrics["queries"]["evaluated"] == 300

    qrels = load_qrels(settings.dataset.labels)
    queries = [q for q in load_queries(settings.dataset.queries) if q.qid in qrels]
    want = _independent_group_recall(path, qrels, queries, (5, 50))
    print(
        f"group recall@5 {want[5]:.4f}, recall@50 {want[50]:.4f}; chunk_coverage@5 "
        f"{metrics['retrieval']['chunk_coverage@5']:.4f} ({n_docs} abstracts, {n_chunks} chunks)"
    )
    assert metrics["retrieval"]["recall@5"] == pytest.approx(want[5], abs=1e-9)
    assert metrics["retrieval"]["recall@50"] == pytest.approx(want[50], abs=1e-9)
    assert metrics["diagnostics"]["retrieval_ceiling"] == pytest.approx(want[50], abs=1e-9)
    # Chunks would undercount: the chunk ranking's coverage at 5 chunks is at most group recall@5.
    assert metrics["retrieval"]["chunk_coverage@5"] <= metrics["retrieval"]["recall@5"] + 1e-12

    # reranked.parquet keeps chunk rows with their source.
    import pyarrow.parquet as pq

    reranked = pq.read_table(f"{result['run_dir']}/reranked.parquet")
    assert "group_id" in reranked.column_names
    assert set(reranked.column("group_id").to_pylist()) <= _sources(path)
    assert result["manifest"]["collection"]["points"] == n_chunks


def _sources(path) -> set[str]:
    from qdrant_client import QdrantClient

    vectorstore.close_clients()
    client = QdrantClient(path=str(path))
    try:
        sources, offset = set(), None
        while True:
            points, offset = client.scroll(
                COLLECTION, limit=2048, offset=offset, with_payload=["source"]
            )
            sources |= {p.payload["source"] for p in points}
            if offset is None:
                return sources
    finally:
        client.close()
