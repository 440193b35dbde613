"""The flows end to end on the shipped sample, under one shared Prefect test server."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.rerank_batch import rerank_batch
from tasks.inputs.loaders import load_queries
from tasks.runs.layout import CANDIDATES_SCHEMA, RERANKED_SCHEMA
from tests.helpers import (
    SAMPLE,
    assert_metrics_close,
    profile_overrides,
    read_artifact,
    use_sample_index,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def indexed(sample_index, tmp_path_factory):
    sample, report = sample_index
    return use_sample_index(sample, tmp_path_factory.mktemp("pipeline")), report


def _read(run_dir, name):
    return pq.read_table(f"{run_dir}/{name}.parquet")


def test_index_report(indexed):
    _, report = indexed
    assert report["documents"] >= 250
    assert report["embedded"] == report["documents"] and report["dim"] == 384


def test_bm25_run_outputs_and_metrics(indexed):
    tmp, _ = indexed
    result = rerank_batch(profile="demo", overrides=profile_overrides(tmp))
    run_dir = result["run_dir"]
    n_queries = len(load_queries(SAMPLE / "labels.jsonl"))
    candidates, reranked = _read(run_dir, "candidates"), _read(run_dir, "reranked")
    assert candidates.schema.equals(CANDIDATES_SCHEMA) and reranked.schema.equals(RERANKED_SCHEMA)
    assert candidates.num_rows == n_queries * 50 and reranked.num_rows == n_queries * 10
    assert reranked.schema.metadata[b"rerankflow.reranker.backend"] == b"bm25"
    assert candidates.schema.metadata[b"rerankflow.run_id"] == result["run_id"].encode()
    assert "run_date=" in run_dir and f"run_id={result['run_id']}" in run_dir

    # Each reranked row points back at its candidate: same retrieval rank and score.
    cand = {(r["qid"], r["doc_id"]): r for r in candidates.to_pylist()}
    for row in reranked.to_pylist():
        c = cand[(row["qid"], row["doc_id"])]
        assert (c["retrieval_rank"], c["retrieval_score"]) == (
            row["retrieval_rank"],
            row["retrieval_score"],
        )

    metrics = result["metrics"]
    assert metrics["queries"]["evaluated"] == n_queries
    ret, rer = metrics["retrieval"], metrics["reranked"]
    assert 0 < ret["recall@10"] <= ret["recall@50"] <= 1
    assert ret["recall@50"] == metrics["diagnostics"]["retrieval_ceiling"]
    assert "recall@20" not in rer  # reranked.parquet only holds top_k rows
    assert rer["recall@10"] <= ret["recall@50"]  # reranking cannot beat the ceiling
    # The shipped sample leaves reranking something to win (data/sample/README.md): every
    # positive in the top 50, 8.2% of queries with none in the top 10, and bm25 wins some back.
    assert ret["recall@10"] == pytest.approx(0.8934, abs=0.005) and ret["recall@50"] == 1.0
    assert metrics["diagnostics"]["in_fetch_k_not_top_k"] == pytest.approx(5 / 61, abs=0.02)
    assert rer["recall@10"] == pytest.approx(0.9262, abs=0.005)

    manifest = json.loads(Path(run_dir, "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["backend"] == "bm25"
    assert manifest["counts"]["reranked_rows"] == reranked.num_rows
    assert set(manifest["seconds"]["stages"]) >= {"embed", "retrieve", "rerank"}
    assert manifest["packages"]["prefect"].startswith("3.")

    # The CLI's eval recomputes the same numbers from the files alone.
    out = CliRunner().invoke(
        app, ["eval", "--run", run_dir, "--labels", str(SAMPLE / "labels.jsonl"), "--json"]
    )
    assert out.exit_code == 0, out.output
    assert_metrics_close(json.loads(out.output), metrics)


def test_none_backend_keeps_retrieval_order(indexed):
    tmp, _ = indexed
    result = rerank_batch(
        profile="demo", overrides=profile_overrides(tmp, **{"reranker.backend": "none"})
    )
    candidates = _read(result["run_dir"], "candidates").to_pandas()
    reranked = _read(result["run_dir"], "reranked").to_pandas()
    top = candidates[candidates.retrieval_rank <= 10].sort_values(["qid", "retrieval_rank"])
    assert top.doc_id.tolist() == reranked.sort_values(["qid", "rank"]).doc_id.tolist()
    m = result["metrics"]
    for k in (1, 3, 5, 10):
        assert m["reranked"][f"ndcg@{k}"] == pytest.approx(m["retrieval"][f"ndcg@{k}"], abs=1e-12)
    assert m["diagnostics"]["per_query_ndcg@10"]["improved"] == 0


def test_cross_encoder_run_records_the_model(indexed, tiny_cross_encoder):
    tmp, _ = indexed
    overrides = profile_overrides(
        tmp,
        **{
            "reranker.backend": "cross-encoder",
            "reranker.model": str(tiny_cross_encoder),
            "run.top_k": 5,
            "run.fetch_k": 20,
        },
    )
    result = rerank_batch(profile="demo", overrides=overrides)
    reranked = _read(result["run_dir"], "reranked").to_pandas()
    assert reranked.groupby("qid").size().eq(5).all()
    # Scores come from the model: sigmoid outputs, sorted descending within each query.
    assert reranked.rerank_score.between(0, 1).all()
    for _, group in reranked.groupby("qid"):
        assert np.all(np.diff(group.sort_values("rank").rerank_score.to_numpy()) <= 0)
    assert result["manifest"]["models"]["reranker"] == str(tiny_cross_encoder)
    assert result["manifest"]["config"]["reranker"]["backend"] == "cross-encoder"


def test_metrics_artifact_published(indexed):
    tmp, _ = indexed
    result = rerank_batch(profile="demo", overrides=profile_overrides(tmp))
    artifact = read_artifact("rerank-metrics")
    assert artifact["type"] == "table"
    assert result["run_id"] in artifact["description"]
    assert (
        "recall@10: " in artifact["description"]
        and "cost per 1,000 queries: free" in (artifact["description"])
    )
    data = artifact["data"]
    rows = {row["metric"]: row for row in (json.loads(data) if isinstance(data, str) else data)}
    assert rows["ndcg@10"]["reranked"] == pytest.approx(result["metrics"]["reranked"]["ndcg@10"])
