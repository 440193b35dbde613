"""`rerankflow doctor`: each check passes on a ready setup and fails, with a fix, when it is not."""

from __future__ import annotations

import pytest
from qdrant_client import QdrantClient, models
from typer.testing import CliRunner

from config.settings import load_settings
from flows.cli import app
from tasks import doctor
from tests.helpers import profile_overrides, use_sample_index

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def indexed(sample_index, tmp_path_factory):
    return use_sample_index(sample_index[0], tmp_path_factory.mktemp("doctor"))


def by_name(checks: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {c.name: c for c in checks}


def test_ready_setup_passes(indexed, tiny_cross_encoder):
    settings = load_settings(
        "demo",
        profile_overrides(
            indexed,
            **{"reranker.backend": "cross-encoder", "reranker.model": str(tiny_cross_encoder)},
        ),
    )
    checks = by_name(doctor.run_checks(settings))
    assert {n: c.status for n, c in checks.items()} == {
        "qdrant": "ok",
        "dimension": "ok",
        "prefect": "ok",
        "runs root": "ok",
        "reranker": "ok",
        "gpu": "ok",
    }
    assert "302 points" in checks["qdrant"].detail and "384-d" in checks["dimension"].detail
    assert "healthy" in checks["prefect"].detail


def test_each_problem_is_named_with_its_fix(indexed, tmp_path):
    # A rerankflow collection built with another embedder's dimension, in its own embedded
    # store (the metadata an older rerankflow wrote; without it the collection is foreign).
    other = tmp_path / "qdrant-768"
    client = QdrantClient(path=str(other))
    client.create_collection(
        "sample",
        vectors_config=models.VectorParams(size=768, distance=models.Distance.COSINE),
        metadata={"embedder": "some/mpnet", "dim": 768},
    )
    client.close()
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    overrides = profile_overrides(
        indexed,
        **{
            "qdrant.path": str(other),
            "run.runs_root": str(not_a_dir / "runs"),
            "reranker.backend": "cross-encoder",
            "reranker.model": str(tmp_path / "no-such-model"),
            "reranker.device": "cuda:0",
        },
    )
    checks = by_name(doctor.run_checks(load_settings("demo", overrides)))
    assert checks["qdrant"].status == "ok"  # it exists; its vectors are the problem
    dim = checks["dimension"]
    assert dim.status == "FAIL" and "768-d" in dim.detail and "384-d" in dim.detail
    assert checks["runs root"].status == "FAIL" and "runs_root" in checks["runs root"].fix
    assert checks["reranker"].status == "FAIL" and "reranker.model" in checks["reranker"].fix
    assert checks["gpu"].status == "FAIL" and "nvidia-smi" in checks["gpu"].fix

    sets = [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]
    result = CliRunner().invoke(app, ["doctor", *sets])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 6 and lines[1].startswith("FAIL  dimension")
