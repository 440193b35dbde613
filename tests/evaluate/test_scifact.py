"""Real labelled data: dense retrieval on SciFact reproduces the published MiniLM figures."""

from __future__ import annotations

import pytest

from config.settings import load_settings
from flows.index_corpus import index_corpus
from flows.rerank_batch import rerank_batch
from tests.helpers import DATASETS

pytestmark = pytest.mark.slow

# ../shared/datasets/README.md: all-MiniLM-L6-v2, cosine, exact search, SciFact test split.
REFERENCE = {"ndcg@10": 0.6451, "recall@10": 0.7833, "recall@100": 0.925}


@pytest.mark.skipif(not (DATASETS / "scifact").exists(), reason="../shared/datasets/scifact absent")
def test_scifact_matches_reference_figures(prefect_server, tmp_path):
    overrides = {
        "qdrant.path": str(tmp_path / "qdrant"),
        "index_dir": str(tmp_path / "index"),
        "run.runs_root": str(tmp_path / "runs"),
        "dataset.corpus": str(DATASETS / "scifact" / "corpus.jsonl"),
        "dataset.queries": str(DATASETS / "scifact" / "queries.jsonl"),
        "dataset.labels": str(DATASETS / "scifact" / "qrels" / "test.tsv"),
    }
    assert load_settings("scifact", overrides).reranker.backend == "none"
    report = index_corpus(profile="scifact", overrides=overrides)
    assert report["documents"] == 5183
    result = rerank_batch(profile="scifact", overrides=overrides)
    metrics = result["metrics"]
    assert metrics["queries"]["evaluated"] == 300
    for name, want in REFERENCE.items():
        assert metrics["retrieval"][name] == pytest.approx(want, abs=0.005), name
