"""A run killed between batches resumes to exactly the rows of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from flows.rerank_batch import rerank_batch
from tasks.errors import UserError
from tasks.retrieve import vectorstore
from tasks.runs import runstore, storage
from tests.helpers import SAMPLE, assert_metrics_close, profile_overrides, use_sample_index

pytestmark = pytest.mark.slow


def _sorted_rows(run_dir, name: str) -> list[dict]:
    rows = storage.read_parquet(run_dir / f"{name}.parquet").to_pylist()
    return sorted(rows, key=lambda r: (r["qid"], r.get("rank") or r["retrieval_rank"]))


@pytest.mark.parametrize("where", ["disk", "s3"])
def test_killed_run_resumes_without_duplicates_or_gaps(sample_index, tmp_path, s3_runs, where):
    from prefect.settings import PREFECT_API_URL

    use_sample_index(sample_index[0], tmp_path)
    overrides = profile_overrides(tmp_path, **{"run.query_batch_size": 4})
    runs_root = storage.location(tmp_path / "runs")
    if where == "s3":  # the runs root in a bucket; the child gets the endpoint from the options
        url, options = s3_runs
        overrides.update(
            {"run.runs_root": url, "run.storage_options.endpoint_url": options["endpoint_url"]}
        )
        runs_root = storage.location(url, options)
    vectorstore.close_clients()  # the child process needs the embedded store's lock

    sets = [arg for k, v in overrides.items() for arg in ("--set", f"{k}={v}")]
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    child = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", "--profile", "demo", *sets],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    done: list = []
    try:
        while time.monotonic() < deadline and len(done) < 3 and child.poll() is None:
            done = list(runs_root.glob("run_date=*/run_id=*/_parts/*.reranked.parquet"))
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    [run_dir] = list(runs_root.glob("run_date=*/run_id=*"))
    n_batches = storage.read_json(run_dir / "manifest.json")["counts"]["batches"]
    finished = [b for b in range(n_batches) if runstore.batch_done(run_dir, b)]
    assert 3 <= len(finished) < n_batches
    assert not (run_dir / "reranked.parquet").exists()

    run_id = run_dir.name.removeprefix("run_id=")
    resumed = rerank_batch(profile="demo", overrides=overrides, resume_run_id=run_id)
    assert resumed["manifest"]["counts"]["batches_this_attempt"] == n_batches - len(finished)
    assert resumed["manifest"]["attempts"] == 2

    fresh = rerank_batch(profile="demo", overrides=overrides)
    for name in ("candidates", "reranked"):
        got = _sorted_rows(run_dir, name)
        want = _sorted_rows(storage.location(fresh["run_dir"], runs_root.storage_options), name)
        assert len(got) == len(want) and len({(r["qid"], r["doc_id"]) for r in got}) == len(got)
        # Same rows; scores equal up to float noise between processes (thread pools differ).
        keys = [c for c in got[0] if not c.endswith("score")]
        assert [[r[c] for c in keys] for r in got] == [[r[c] for c in keys] for r in want]
        for column in (c for c in got[0] if c.endswith("score")):
            assert [r[column] for r in got] == pytest.approx([r[column] for r in want], abs=1e-9)
    assert_metrics_close(resumed["metrics"], fresh["metrics"])


def test_resume_refuses_a_changed_query_set(sample_index, tmp_path):
    use_sample_index(sample_index[0], tmp_path)
    labels = tmp_path / "labels.jsonl"
    lines = (SAMPLE / "labels.jsonl").read_text().splitlines(keepends=True)
    labels.write_text("".join(lines[:5]))
    overrides = profile_overrides(
        tmp_path, **{"dataset.queries": str(labels), "dataset.labels": str(labels)}
    )
    first = rerank_batch(profile="demo", overrides=overrides)
    labels.write_text("".join(lines[:5]).replace("pdf", "PDF file"))
    with pytest.raises(UserError, match="query_set changed"):
        rerank_batch(profile="demo", overrides=overrides, resume_run_id=first["run_id"])
