"""Rerank backends score with the real model code paths (a tiny model built here)."""

from __future__ import annotations

import subprocess
import sys
from typing import get_args

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from config.settings import RerankBackend, RerankerSettings
from tasks.index import lexical
from tasks.rerank.base import flatten, scatter
from tasks.rerank.registry import BACKENDS, get_reranker
from tasks.types import Hit
from tests.helpers import REPO

QUERIES = ["how do I export a notebook to pdf", "reset password with sso"]
CANDIDATES = [
    [
        Hit("d1", "Export a notebook to Markdown from the share menu.", 0.9),
        Hit("d2", "Export a notebook to PDF: open the notebook, choose Export, then PDF.", 0.8),
        Hit("d3", "Import a PDF into a notebook as an attachment.", 0.7),
    ],
    [
        Hit("d4", "Reset your password on mobile from the login screen.", 0.6),
        Hit("d5", "With SSO enabled, passwords are reset by your identity provider.", 0.5),
    ],
]


def manual_logits(model_dir, queries, candidates) -> list[np.ndarray]:
    """The classifier's raw logits, computed directly with transformers."""
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    pairs, offsets = flatten(queries, candidates)
    enc = tok(
        [q for q, _ in pairs],
        [d for _, d in pairs],
        padding=True,
        truncation=True,
        return_tensors="pt",
        max_length=512,
    )
    with torch.inference_mode():
        logits = model(**enc).logits.view(-1).double().numpy()
    return scatter(logits, offsets)


def test_none_keeps_retrieval_scores():
    scores = get_reranker(RerankerSettings(backend="none"), None).score(QUERIES, CANDIDATES)
    assert [s.tolist() for s in scores] == [[0.9, 0.8, 0.7], [0.6, 0.5]]


def test_cross_encoder_scores_are_the_models(tiny_cross_encoder):
    settings = RerankerSettings(
        backend="cross-encoder", model=str(tiny_cross_encoder), batch_size=2
    )
    scores = get_reranker(settings, None).score(QUERIES, CANDIDATES)
    expected = manual_logits(tiny_cross_encoder, QUERIES, CANDIDATES)
    # CrossEncoder applies a sigmoid to single-label models; the order and values follow logits.
    for got, logits in zip(scores, expected, strict=True):
        np.testing.assert_allclose(got, 1 / (1 + np.exp(-logits)), atol=1e-5)


def test_flag_scores_are_the_models(tiny_cross_encoder):
    settings = RerankerSettings(backend="flag", model=str(tiny_cross_encoder), batch_size=2)
    scores = get_reranker(settings, None).score(QUERIES, CANDIDATES)
    expected = manual_logits(tiny_cross_encoder, QUERIES, CANDIDATES)
    for got, logits in zip(scores, expected, strict=True):
        np.testing.assert_allclose(got, logits, atol=1e-4)


def test_cross_encoder_handles_a_query_with_no_candidates(tiny_cross_encoder):
    settings = RerankerSettings(backend="cross-encoder", model=str(tiny_cross_encoder))
    scores = get_reranker(settings, None).score(["q", "r"], [[], [Hit("a", "text", 0.1)]])
    assert [len(s) for s in scores] == [0, 1]


def test_bm25_fusion_prefers_the_lexical_match(tmp_path):
    docs = [h for hits in CANDIDATES for h in hits]
    lexical.build([d.doc_id for d in docs], [d.text for d in docs], tmp_path / "bm25")
    pure_lexical = get_reranker(RerankerSettings(backend="bm25", bm25_weight=1.0), tmp_path)
    scores = pure_lexical.score(QUERIES, CANDIDATES)
    # "pdf" + "export" beats "markdown"; "sso" decides the second query.
    assert int(np.argmax(scores[0])) == 1
    assert int(np.argmax(scores[1])) == 1
    dense_only = get_reranker(RerankerSettings(backend="bm25", bm25_weight=0.0), tmp_path)
    assert int(np.argmax(dense_only.score(QUERIES, CANDIDATES)[0])) == 0


def test_model_is_required_for_model_backends():
    with pytest.raises(ValueError, match="reranker.model is required"):
        RerankerSettings(backend="flag")


def test_the_gpu_worker_imports_no_vector_store():
    """The rerank stage starts from the retrieval stage's hits part: the GPU worker's import
    chain (its flow, the task wrappers, the rerank batch) loads no Qdrant client."""
    code = (
        "import sys, tasks.rerank.batch, tasks.prefect_tasks, flows.rerank_gpu; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'qdrant_client'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_backend_table_describes_every_configurable_backend():
    assert set(BACKENDS) == set(get_args(RerankBackend))
    for name, info in BACKENDS.items():
        # A model on a device is named by reranker.model; a hosted API bills, holds no device.
        assert not info.on_device or info.takes_model, name
        assert not (info.on_device and info.hosted), name
