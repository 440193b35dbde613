"""A runs root on an object store (S3 through s3fs, against moto's server on 127.0.0.1): the
nightly flow, the CLI and the FAQ refresh read and write there, with the same results as on disk."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.faq_precompute import faq_precompute
from flows.nightly_regression import nightly_regression
from flows.rerank_batch import rerank_batch
from tasks import faq
from tasks.evaluate import regression
from tasks.runs import layout, storage
from tests.helpers import SAMPLE, assert_metrics_close, profile_overrides, use_sample_index

pytestmark = pytest.mark.slow
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def indexed(sample_index, tmp_path_factory):
    return use_sample_index(sample_index[0], tmp_path_factory.mktemp("remote"))


def _rows(run_dir, name: str, rank: str) -> list[dict]:
    table = storage.read_parquet(run_dir / f"{name}.parquet")
    return table.sort_by([("qid", "ascending"), (rank, "ascending")]).to_pylist()


def test_nightly_on_s3_matches_a_run_on_disk(indexed, s3_runs, tmp_path):
    url, options = s3_runs
    remote = profile_overrides(
        indexed,
        **{
            "run.runs_root": url,
            "run.storage_options": options,
            # Millisecond cost/latency noise of bm25 runs would warn and block promotion.
            "regression.ops_thresholds": {"cost_per_1k_queries": 100.0, "latency_p95_s": 100.0},
        },
    )
    first = nightly_regression(profile="demo", overrides=remote)
    second = nightly_regression(profile="demo", overrides=remote)
    assert first["promoted"] and second["passed"]
    # The baseline pointer lives on the store, and the second run was compared with the first.
    assert second["baseline"] == f"last passing run {first['run_id']}"
    root = storage.location(url, options)
    assert regression.read_baseline(root, "demo")["run_id"] == second["run_id"]

    run_dir = storage.location(second["run_dir"], options)
    assert str(run_dir).startswith(url + "/run_date=")
    for name in ("recall_curves", "headroom", "trend"):
        assert storage.read_bytes(run_dir / f"{name}.png")[:8] == PNG_MAGIC
    assert "<html" in storage.read_text(run_dir / "report.html")
    verdict = storage.read_json(run_dir / layout.REGRESSION_FILE)
    assert verdict["passed"] and verdict["comparison"]["a"]["run_id"] == first["run_id"]
    # Per-batch parts (the stage hand-off) are on the store too, and nothing went to disk.
    assert list((run_dir / "_parts").glob("batch-*.hits.parquet"))
    assert not (indexed / "runs").exists()

    local = rerank_batch(profile="demo", overrides=profile_overrides(indexed))
    local_dir = storage.location(local["run_dir"])
    for name, rank in (("candidates", "retrieval_rank"), ("reranked", "rank")):
        got, want = _rows(run_dir, name, rank), _rows(local_dir, name, rank)
        assert [r["doc_id"] for r in got] == [r["doc_id"] for r in want]
        for column in (c for c in got[0] if c.endswith("score")):
            assert [r[column] for r in got] == pytest.approx([r[column] for r in want], abs=1e-9)
    got_metrics = storage.read_json(run_dir / "metrics.json")
    got_metrics.pop("run")
    want_metrics = dict(local["metrics"])
    assert_metrics_close(got_metrics, want_metrics)

    # The CLI finds runs on the store by id or URL.
    sets = [
        "--set",
        f"run.runs_root={url}",
        "--set",
        f"run.storage_options.endpoint_url={options['endpoint_url']}",
    ]
    runner = CliRunner()
    compared = runner.invoke(app, ["compare", first["run_id"], second["run_id"], *sets, "--json"])
    assert compared.exit_code == 0, compared.output
    assert json.loads(compared.output)["passed"]
    evaluated = runner.invoke(app, ["eval", "--run", str(run_dir), *sets, "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    assert_metrics_close(json.loads(evaluated.output), want_metrics)
    costs = runner.invoke(app, ["costs", *sets, "--json"])
    assert costs.exit_code == 0, costs.output
    assert {r["run_id"] for r in json.loads(costs.output)} == {first["run_id"], second["run_id"]}


def test_faq_refresh_with_runs_on_s3(indexed, s3_runs, tmp_path):
    url, options = s3_runs
    overrides = profile_overrides(
        indexed,
        **{
            "run.runs_root": url,
            "run.storage_options": options,
            "dataset.queries": str(SAMPLE / "labels.jsonl"),
            "dataset.labels": None,
        },
    )
    # The serving table is a local DuckDB file: with a URL runs root it must be named.
    with pytest.raises(ValueError, match="set faq.dir"):
        faq_precompute(profile="demo", overrides=overrides)
    result = faq_precompute(profile="demo", overrides=overrides, faq_dir=str(tmp_path / "faq"))
    assert result["counts"]["recomputed"] == result["counts"]["total"] == 61
    run_dir = storage.location(result["run_dir"], options)
    manifest = storage.read_json(run_dir / "manifest.json")
    assert manifest["kind"] == "faq" and manifest["status"] == "completed"
    table = faq.read_table(tmp_path / "faq")
    assert table is not None and set(table.column("run_id").to_pylist()) == {result["run_id"]}


def test_a_run_moved_to_s3_resumes_there(indexed, s3_runs, tmp_path):
    """A run that died on disk, copied to a bucket, is finished in the bucket: the resumed
    run (and its rerank stage) use where the run is now, not the manifest's old root."""
    url, options = s3_runs
    on_disk = profile_overrides(indexed, **{"run.runs_root": str(tmp_path / "runs")})
    on_disk["run.query_batch_size"] = 8
    done = rerank_batch(profile="demo", overrides=on_disk)
    run_dir = storage.location(done["run_dir"])
    # As if it died: the last two batches never reranked, nothing merged, status running.
    n = done["manifest"]["counts"]["batches"]
    for b in (n - 2, n - 1):
        for kind in ("reranked", "candidates", "failed"):
            (run_dir / "_parts" / f"batch-{b:05d}.{kind}.parquet").unlink()
    for name in ("candidates", "reranked", "failed", "calls"):
        (run_dir / f"{name}.parquet").unlink()
    manifest = storage.read_json(run_dir / "manifest.json")
    storage.write_json({**manifest, "status": "running"}, run_dir / "manifest.json")

    root = storage.location(url, options)
    target = root / run_dir.parent.name / run_dir.name
    root.fs.put(str(run_dir), target.path, recursive=True)
    remote = {**on_disk, "run.runs_root": url, "run.storage_options": options}
    resumed = rerank_batch(profile="demo", overrides=remote, resume_run_id=done["run_id"])
    assert resumed["run_dir"] == str(target)
    assert resumed["manifest"]["counts"]["batches_this_attempt"] == 2
    assert resumed["manifest"]["config"]["run"]["runs_root"] == url
    for name in ("candidates", "reranked"):
        rows = storage.read_parquet(target / f"{name}.parquet").num_rows
        assert rows == done["manifest"]["counts"][f"{name}_rows"]
    assert_metrics_close(resumed["metrics"], done["metrics"])
