"""An existing Qdrant collection (qdrant.existing): measured read-only, never written.

The collection is built the way a team would, with plain qdrant-client
(data/make_existing_collection.py: the sample's chunks, integer ids, named vector "dense",
payload {text, source, chunk}); labels name source documents.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from qdrant_client import QdrantClient, models

from config.settings import load_settings
from tasks import doctor
from tasks.errors import NotReadyError, SettingsError
from tasks.index.store import ensure_collection
from tasks.inputs import batch as inputs
from tasks.rerank.bm25 import BM25Fusion
from tasks.retrieve import existing, vectorstore
from tasks.retrieve.batch import retrieve
from tasks.retrieve.collection import ForeignCollectionError, collection_state, require_collection
from tasks.retrieve.search import search_batch
from tasks.types import Hit
from tests.helpers import SAMPLE, existing_collection_script

COLLECTION = "sample_chunks"


@pytest.fixture(scope="module")
def chunk_store(tmp_path_factory) -> Path:
    """The shipped script's collection, in its own embedded store (closed: not held)."""
    path = tmp_path_factory.mktemp("existing") / "qdrant"
    client = QdrantClient(path=str(path))
    existing_collection_script().build(client, COLLECTION, SAMPLE / "corpus.jsonl")
    client.close()
    return path


def existing_overrides(store: Path, tmp: Path, **extra) -> dict:
    return {
        "qdrant.path": str(store),
        "run.runs_root": str(tmp / "runs"),
        "index_dir": str(tmp / "index"),
        "faq.dir": str(tmp / "faq"),
        "dataset.queries": str(SAMPLE / "labels.jsonl"),
        "dataset.labels": str(SAMPLE / "labels.jsonl"),
        **extra,
    }


def snapshot(store: Path, name: str) -> tuple[list, dict]:
    """Every point (id, payload, vectors) and the collection's config, read with a plain client
    after rerankflow's own clients let go of the embedded store."""
    vectorstore.close_clients()
    client = QdrantClient(path=str(store))
    points, offset = [], None
    while True:
        page, offset = client.scroll(
            name, limit=256, offset=offset, with_payload=True, with_vectors=True
        )
        points += [(p.id, p.payload, p.vector) for p in page]
        if offset is None:
            break
    config = client.get_collection(name).config.model_dump(mode="json")
    client.close()
    return sorted(points, key=lambda p: p[0]), config


# --------------------------------------------------------------------------- settings


def team_collection(
    store: Path, size: int, sparse: models.SparseVectorParams | None = None
) -> QdrantClient:
    """A client on a new store holding collection "c" as a team would make it: a named dense
    vector ("dense"), optionally a named sparse one ("sparse")."""
    client = QdrantClient(path=str(store))
    client.create_collection(
        "c",
        vectors_config={"dense": models.VectorParams(size=size, distance=models.Distance.COSINE)},
        sparse_vectors_config={"sparse": sparse} if sparse else None,
    )
    return client


def test_settings_for_an_existing_collection(tmp_path):
    s = load_settings("existing", {"qdrant.search_params": {"hnsw_ef": 128, "exact": False}})
    assert s.dataset.corpus is None and s.qdrant.existing and s.qdrant.vector == "dense"
    assert s.qdrant.group_key == "source" and s.qdrant.search_params.hnsw_ef == 128
    cases = {
        "qdrant.group_key": ({"qdrant.existing": False, "dataset.corpus": "c.jsonl"}, "existing"),
        "dataset.corpus": ({"dataset.corpus": "c.jsonl"}, "not used with qdrant.existing"),
        "qdrant.filter": (
            {"qdrant.filter": {"must": [{"key": "tenant", "match": {"valu": "a"}}]}},
            "must[0].match.value",
        ),
    }
    for name, (overrides, says) in cases.items():
        with pytest.raises(SettingsError, match=re.escape(says)) as err:
            load_settings("existing", overrides)
        assert name.split(".")[-1] in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(SettingsError, match="dataset.corpus is required"):
        load_settings("demo", {"dataset.corpus": None})
    with pytest.raises(SettingsError, match=r"qdrant.vector: only for a collection"):
        load_settings("demo", {"qdrant.vector": "dense"})


# --------------------------------------------------------------------------- retrieval


def test_retrieval_reads_the_collection_layout(chunk_store, tmp_path):
    s = load_settings("existing", existing_overrides(chunk_store, tmp_path))
    existing.check_existing_collection(s)
    queries = inputs.load_inputs(s).queries
    hits, _ = retrieve(s, queries[:4])
    vectorstore.close_clients()
    client = QdrantClient(path=str(chunk_store))
    for qhits in hits:
        assert len(qhits) == 50
        top = qhits[0]
        [point] = client.retrieve(COLLECTION, [int(top.doc_id)], with_payload=True)
        assert (top.text, top.group_id) == (point.payload["text"], point.payload["source"])
    client.close()

    # A tenant filter applies to every query; id_key reads ids from the payload.
    tenant = {"must": [{"key": "source", "match": {"any": ["doc_258", "doc_001"]}}]}
    s2 = load_settings(
        "existing",
        existing_overrides(
            chunk_store,
            tmp_path,
            **{
                "qdrant.filter": tenant,
                "qdrant.id_key": "chunk",
                "qdrant.search_params": {"exact": True},
            },
        ),
    )
    [filtered], _ = retrieve(s2, queries[:1])
    assert filtered and {h.group_id for h in filtered} <= {"doc_258", "doc_001"}
    assert all(h.doc_id.isdigit() and int(h.doc_id) < 10 for h in filtered)  # chunk numbers


def test_a_point_missing_a_key_is_named(tmp_path):
    store = tmp_path / "q"
    client = team_collection(store, 384)
    rng = np.random.default_rng(0)
    client.upsert(
        "c",
        points=[
            models.PointStruct(
                id=1, vector={"dense": rng.random(384).tolist()}, payload={"text": "a"}
            ),
            models.PointStruct(
                id=7, vector={"dense": rng.random(384).tolist()}, payload={"body": "b"}
            ),
        ],
    )
    client.close()
    s = load_settings(
        "existing",
        existing_overrides(store, tmp_path, **{"qdrant.collection": "c", "qdrant.group_key": None}),
    )
    with pytest.raises(
        SettingsError,
        match=r"point 7 has no payload key 'text' \(qdrant.text_key\); its payload keys are: body",
    ):
        search_batch(vectorstore.open_client(s.qdrant), s.qdrant, rng.random((1, 384)), 5)
    vectorstore.close_clients()


def test_bad_settings_stop_before_work_naming_what_the_collection_has(chunk_store, tmp_path):
    base = existing_overrides(chunk_store, tmp_path)
    cases = [
        ({"qdrant.vector": "text-embedding"}, "set qdrant.vector to one of: dense"),
        ({"qdrant.vector": None}, "has no unnamed default vector (qdrant.vector)"),
        ({"qdrant.text_key": "body"}, "payload keys found: chunk, source, text"),
        ({"qdrant.group_key": "doc"}, "qdrant.group_key='doc'"),
        (
            {"qdrant.filter": {"must": [{"key": "source", "match": {"value": "nope"}}]}},
            "qdrant.filter matches no point",
        ),
    ]
    for overrides, says in cases:
        with pytest.raises(SettingsError, match=re.escape(says)) as err:
            existing.check_existing_collection(load_settings("existing", {**base, **overrides}))
        assert "\n" not in str(err.value)
    with pytest.raises(NotReadyError, match="does not exist"):
        existing.check_existing_collection(
            load_settings("existing", {**base, "qdrant.collection": "nope"})
        )


def test_labels_are_checked_against_the_collection(chunk_store, tmp_path):
    base = existing_overrides(chunk_store, tmp_path)
    s = load_settings("existing", base)
    assert existing.ids_in_collection(s, {"doc_001", "doc_258", "doc_999"}) == {
        "doc_001",
        "doc_258",
    }
    by_point = load_settings("existing", {**base, "qdrant.group_key": None})
    assert existing.ids_in_collection(by_point, {"0", "5", "99999", "doc_001"}) == {"0", "5"}
    # Integer payload values match label ids written as strings.
    by_int = load_settings("existing", {**base, "qdrant.group_key": None, "qdrant.id_key": "chunk"})
    assert existing.ids_in_collection(by_int, {"0", "1", "77"}) == {"0", "1"}
    assert inputs.load_inputs(s).labels_missing_docs == 0

    labels = tmp_path / "labels.jsonl"
    rows = [
        {"qid": "q1", "query": "export to pdf", "positives": ["doc_258", "doc_404"]},
        {"qid": "q2", "query": "reset password", "positives": ["doc_002"]},
    ]
    labels.write_text("".join(json.dumps(r) + "\n" for r in rows))
    one_missing = {**base, "dataset.queries": str(labels), "dataset.labels": str(labels)}
    with pytest.raises(
        ValueError,
        match=r"1 label row\(s\) name documents not in collection 'sample_chunks' "
        r"\(matched on payload key 'source'",
    ):
        inputs.load_inputs(load_settings("existing", one_missing))
    warned = load_settings("existing", {**one_missing, "dataset.missing_label_docs": "warn"})
    assert inputs.load_inputs(warned).labels_missing_docs == 1
    # Labels naming source documents, matched on point ids: nothing matches, the run stops.
    nothing = load_settings(
        "existing", {**one_missing, "qdrant.group_key": None, "dataset.missing_label_docs": "warn"}
    )
    with pytest.raises(
        NotReadyError, match=rf"{re.escape(str(labels))}: none of the 3 .*qdrant.group_key"
    ):
        inputs.load_inputs(nothing)
    vectorstore.close_clients()


def test_bm25_statistics_from_the_candidates():
    reranker = BM25Fusion(None, weight=1.0)  # lexical only
    hits = [
        Hit("1", "Reset your password from the sign-in page", 0.9),
        Hit("2", "Export a notebook to PDF with images", 0.8),
        Hit("3", "Export pages to Markdown files", 0.7),
    ]
    [scores] = reranker.score(["export notebook pdf"], [hits])
    assert int(np.argmax(scores)) == 1 and scores[0] == 0.0
    # A query's scores do not depend on the other queries of its batch.
    [alone] = reranker.score(["export notebook pdf"], [hits])
    [_, together] = reranker.score(["password", "export notebook pdf"], [hits[:1], hits])
    assert np.array_equal(alone, together)


# --------------------------------------------------------------------------- never written


def test_index_refuses_collections_it_did_not_create(chunk_store, tmp_path):
    from tasks.index.indexing import index_corpus

    before = snapshot(chunk_store, COLLECTION)
    managed = {
        "qdrant.path": str(chunk_store),
        "qdrant.collection": COLLECTION,
        "index_dir": str(tmp_path / "index"),
        "dataset.corpus": str(SAMPLE / "corpus.jsonl"),
    }
    with pytest.raises(
        ForeignCollectionError, match="not created by rerankflow.*qdrant.existing: true"
    ):
        index_corpus(load_settings("demo", managed))
    with pytest.raises(SettingsError, match="qdrant.existing is true.*never writes"):
        index_corpus(load_settings("existing", existing_overrides(chunk_store, tmp_path)))
    # A run on it as a managed collection says the same, not "never indexed".
    with pytest.raises(NotReadyError, match="not created by rerankflow"):
        require_collection(load_settings("demo", managed).qdrant)
    assert snapshot(chunk_store, COLLECTION) == before

    # rerankflow's own collections: the marker, and older ones with embedder/dim metadata.
    client = vectorstore.open_client(
        load_settings("demo", {**managed, "qdrant.path": str(tmp_path / "own")}).qdrant
    )
    ensure_collection(client, "new", 384, "all-MiniLM-L6-v2")
    assert client.get_collection("new").config.metadata["created_by"] == "rerankflow"
    client.create_collection(
        "older",
        vectors_config=models.VectorParams(size=384, distance=models.Distance.COSINE),
        metadata={"embedder": "all-MiniLM-L6-v2", "dim": 384},
    )
    assert ensure_collection(client, "older", 384, "all-MiniLM-L6-v2") is False
    vectorstore.close_clients()


def test_doctor_lines_for_an_existing_collection(chunk_store, tmp_path):
    s = load_settings("existing", existing_overrides(chunk_store, tmp_path))
    checks = {c.name: c for c in doctor.run_checks(s)}
    assert [n for n in checks] == [
        "qdrant",
        "vector",
        "filter",
        "payload",
        "access",
        "prefect",
        "runs root",
        "reranker",
        "gpu",
    ]
    assert all(c.status == "ok" for c in checks.values()), [c.line() for c in checks.values()]
    assert "'dense': 384-d" in checks["vector"].detail and "read-only" in checks["access"].detail
    assert "group from 'source'" in checks["payload"].detail

    bad = load_settings(
        "existing",
        existing_overrides(
            chunk_store, tmp_path, **{"qdrant.vector": "x", "qdrant.text_key": "body"}
        ),
    )
    checks = {c.name: c for c in doctor.run_checks(bad)}
    assert checks["vector"].status == "FAIL" and "dense" in checks["vector"].fix
    assert checks["payload"].status == "FAIL" and "chunk, source, text" in checks["payload"].detail
    # As a managed collection, doctor no longer says ok on every line.
    managed = load_settings(
        "demo",
        {
            "qdrant.path": str(chunk_store),
            "qdrant.collection": COLLECTION,
            "run.runs_root": str(tmp_path / "r"),
        },
    )
    qdrant = doctor.check_qdrant(managed)
    assert qdrant.status == "FAIL" and "qdrant.existing: true" in qdrant.fix
    vectorstore.close_clients()


def test_collection_fingerprint_changes_with_the_data(tmp_path):
    store = tmp_path / "q"
    client = team_collection(store, 4)
    point = models.PointStruct(
        id=1, vector={"dense": [1, 0, 0, 0]}, payload={"text": "a", "source": "s"}
    )
    client.upsert("c", points=[point])
    client.close()
    s = load_settings("existing", existing_overrides(store, tmp_path, **{"qdrant.collection": "c"}))
    first = collection_state(vectorstore.open_client(s.qdrant), s.qdrant)
    assert first["points"] == 1 and first["vectors"] == {"dense": {"size": 4, "distance": "Cosine"}}
    assert collection_state(vectorstore.open_client(s.qdrant), s.qdrant) == first
    client = vectorstore.open_client(s.qdrant)  # the team edits its collection
    client.set_payload("c", payload={"text": "b"}, points=[1])
    second = collection_state(client, s.qdrant)
    client.upsert(
        "c",
        points=[
            models.PointStruct(
                id=2, vector={"dense": [0, 1, 0, 0]}, payload={"text": "c", "source": "s"}
            )
        ],
    )
    third = collection_state(client, s.qdrant)
    assert len({first["fingerprint"], second["fingerprint"], third["fingerprint"]}) == 3
    assert third["points"] == 2
    vectorstore.close_clients()


def test_a_hybrid_collection_fingerprint_covers_its_sparse_vectors(tmp_path):
    """Recomputed sparse vectors (new BM25 statistics) are another collection for a hybrid run."""
    store = tmp_path / "q"
    client = team_collection(store, 4, models.SparseVectorParams(modifier=models.Modifier.IDF))
    sparse = models.SparseVector(indices=[3, 7], values=[1.0, 2.0])
    point = models.PointStruct(
        id=1, vector={"dense": [1, 0, 0, 0], "sparse": sparse}, payload={"text": "a"}
    )
    client.upsert("c", points=[point])
    client.close()
    hybrid = load_settings(
        "existing",
        existing_overrides(
            store,
            tmp_path,
            **{
                "qdrant.collection": "c",
                "qdrant.sparse_vector": "sparse",
                "qdrant.sparse_query": "bm25",
            },
        ),
    )
    first = collection_state(vectorstore.open_client(hybrid.qdrant), hybrid.qdrant)
    assert collection_state(vectorstore.open_client(hybrid.qdrant), hybrid.qdrant) == first
    client = vectorstore.open_client(hybrid.qdrant)
    recomputed = models.SparseVector(indices=[3, 7], values=[1.0, 2.5])
    client.update_vectors("c", points=[models.PointVectors(id=1, vector={"sparse": recomputed})])
    second = collection_state(client, hybrid.qdrant)
    assert second["fingerprint"] != first["fingerprint"]
    assert second["points"] == first["points"] == 1
    vectorstore.close_clients()


# --------------------------------------------------------------------------- flows


def _group_hit_rate(run_dir: str, k: int) -> float:
    """Share of labelled queries with a labelled source among the top k reranked chunks."""
    labels = {
        row["qid"]: set(row["positives"])
        for row in map(json.loads, (SAMPLE / "labels.jsonl").read_text().splitlines())
    }
    rows = pq.read_table(f"{run_dir}/reranked.parquet").to_pylist()
    top: dict[str, set] = {}
    for row in rows:
        if row["rank"] <= k:
            top.setdefault(row["qid"], set()).add(row["group_id"])
    return sum(bool(top.get(q, set()) & pos) for q, pos in labels.items()) / len(labels)


@pytest.mark.slow
def test_flows_leave_the_collection_as_it_was(prefect_server, chunk_store, tmp_path):
    from flows.faq_precompute import faq_precompute
    from flows.index_corpus import index_corpus
    from flows.nightly_regression import nightly_regression
    from flows.rerank_batch import rerank_batch

    before = snapshot(chunk_store, COLLECTION)
    overrides = existing_overrides(chunk_store, tmp_path)

    result = rerank_batch(profile="existing", overrides=overrides)
    run_dir = result["run_dir"]
    candidates = pq.read_table(f"{run_dir}/candidates.parquet")
    reranked = pq.read_table(f"{run_dir}/reranked.parquet")
    assert candidates.schema.names[-1] == reranked.schema.names[-1] == "group_id"
    assert candidates.column("group_id").null_count == 0 and reranked.num_rows == 61 * 10
    assert all(d.isdigit() for d in reranked.column("doc_id").to_pylist())  # point ids
    # bm25 (statistics from the candidates) moved some chunks; the sources are found.
    moved = [r for r in reranked.to_pylist() if r["rank"] != r["retrieval_rank"]]
    assert moved and _group_hit_rate(run_dir, 10) >= 0.9
    manifest = result["manifest"]
    state = manifest["collection"]
    assert state["points"] == len(before[0]) and state["vector"] == "dense"
    assert state["vectors"]["dense"]["size"] == 384 and not state["created_by_rerankflow"]
    assert manifest["hashes"]["collection"] == state["fingerprint"]
    assert manifest["hashes"]["corpus"] is None

    first = nightly_regression(profile="existing", overrides=overrides)
    second = nightly_regression(profile="existing", overrides=overrides)
    assert first["passed"] and second["baseline"] == f"last passing run {first['run_id']}"
    faq = faq_precompute(profile="existing", overrides=overrides)
    assert faq["counts"]["recomputed"] == 61 and faq["failed_qids"] == []
    assert [c.status for c in doctor.run_checks(load_settings("existing", overrides))].count(
        "FAIL"
    ) == 0
    with pytest.raises(SettingsError, match="never writes"):
        index_corpus(profile="existing", overrides=overrides)

    assert snapshot(chunk_store, COLLECTION) == before  # points, payloads, vectors, config

    # The team adds a chunk: the next nightly says the collection changed (a warning only).
    client = QdrantClient(path=str(chunk_store))
    [p] = client.retrieve(COLLECTION, [0], with_payload=True, with_vectors=True)
    client.upsert(
        COLLECTION, points=[models.PointStruct(id=10_000, vector=p.vector, payload=p.payload)]
    )
    client.close()
    third = nightly_regression(profile="existing", overrides=overrides)
    verdict = json.loads(Path(third["run_dir"], "regression.json").read_text())
    warnings = verdict["comparison"]["warnings"]
    assert third["passed"] and any("collection changed between the runs" in w for w in warnings)
    assert "collection changed" in verdict["markdown"]
    vectorstore.close_clients()


@pytest.mark.slow
def test_cli_runs_the_shipped_profile_without_index(prefect_server, chunk_store, tmp_path):
    from tests.helpers import rerankflow

    vectorstore.close_clients()  # the subprocesses open the embedded store
    sets = ["--set", f"qdrant.path={chunk_store}", "--set", f"run.runs_root={tmp_path / 'runs'}"]
    run = rerankflow("run", "-p", "existing", *sets)
    assert run.returncode == 0, run.stderr[-3000:]
    first = rerankflow("nightly", "-p", "existing", *sets)
    assert first.returncode == 0, first.stderr[-3000:]
    first_id = re.search(r"run (\S+) passed", first.stdout).group(1)
    second = rerankflow("nightly", "-p", "existing", *sets)
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"passed (last passing run {first_id})" in second.stdout
    refused = rerankflow("index", "-p", "existing", *sets)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith("error: qdrant.existing is true")
