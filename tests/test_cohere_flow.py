"""The rerank-batch flow on the cohere backend: faults, resume, cache, call log, shared budget."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.index_corpus import index_corpus
from flows.rerank_batch import rerank_batch
from tasks import vectorstore
from tasks.loaders import load_queries

from .cohere_server import CohereTestServer
from .conftest import SAMPLE, profile_overrides
from .test_cohere import KEY, max_in_window

pytestmark = pytest.mark.slow

N_QUERIES = len(load_queries(SAMPLE / "labels.jsonl"))


@pytest.fixture(scope="module")
def indexed(prefect_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cohere-flow")
    index_corpus(profile="demo", overrides=profile_overrides(tmp))
    return tmp


def cohere_overrides(tmp: Path, server: CohereTestServer, limit_name: str, **extra) -> dict:
    return profile_overrides(
        tmp,
        **{
            "reranker.backend": "cohere",
            "reranker.cache_dir": str(tmp / "cache"),
            "reranker.cohere.base_url": server.url,
            "reranker.cohere.requests_per_minute": 600,
            "reranker.cohere.global_limit": limit_name,
            **extra,
        },
    )


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_faults_resume_cache_call_log_and_costs(indexed, tmp_path, monkeypatch):
    from prefect.client.orchestration import get_client

    monkeypatch.setenv("CO_API_KEY", KEY)
    runs = tmp_path / "runs"
    queries = load_queries(SAMPLE / "labels.jsonl")
    doomed = queries[7]
    with CohereTestServer(keys={KEY: None}) as server:
        overrides = {
            **cohere_overrides(indexed, server, "cohere-flow-test"),
            "run.runs_root": str(runs),
            "reranker.cache_dir": str(tmp_path / "cache"),
            "reranker.cohere.max_attempts": 3,
            "reranker.cohere.max_retry_seconds": 10,
        }
        # Transient trouble everyone survives, and one query that fails all of its attempts.
        server.inject("status", count=3, status=503)
        server.inject("drop", count=1)
        server.inject("status", count=3, status=500, query=doomed.text)
        first = rerank_batch(profile="demo", overrides=overrides)
        first_calls = server.calls

        run_dir = Path(first["run_dir"])
        counts = first["manifest"]["counts"]
        assert counts["failed_queries"] == 1 and counts["cache_misses"] == N_QUERIES
        failed = pq.read_table(run_dir / "failed.parquet").to_pylist()
        assert [f["qid"] for f in failed] == [doomed.qid] and "500" in failed[0]["reason"]
        reranked = pq.read_table(run_dir / "reranked.parquet").to_pylist()
        assert {r["qid"] for r in reranked} == {q.qid for q in queries} - {doomed.qid}
        assert len(reranked) == (N_QUERIES - 1) * 10  # none lost, none duplicated
        assert first["metrics"]["queries"]["failed_rerank"] == 1

        # The call log holds one row per request the server saw, and bills what it billed.
        calls = pq.read_table(run_dir / "calls.parquet").to_pylist()
        assert len(calls) == len(first_calls)
        assert sum(c["search_units"] or 0 for c in calls) == sum(
            c.search_units for c in first_calls
        )
        assert {c["run_id"] for c in calls} == {first["run_id"]}
        statuses = [c["http_status"] for c in calls]
        assert statuses.count(200) == sum(c.status == 200 for c in first_calls) == N_QUERIES - 1
        assert statuses.count(503) == 3 and statuses.count(500) == 3
        assert statuses.count(None) == 1  # the dropped connection: no status came back
        with get_client(sync_client=True) as client:
            limit = client.read_global_concurrency_limit_by_name("cohere-flow-test")
        assert limit.limit == 6 and limit.slot_decay_per_second == pytest.approx(594 / 60)

        # Resume: only the failed query goes out again.
        server.reset_calls()
        resumed = rerank_batch(profile="demo", overrides=overrides, resume_run_id=first["run_id"])
        assert [c.query for c in server.calls] == [doomed.text]
        assert resumed["manifest"]["counts"]["failed_queries"] == 0
        reranked = pq.read_table(run_dir / "reranked.parquet").to_pylist()
        assert len(reranked) == N_QUERIES * 10
        assert len({(r["qid"], r["rank"]) for r in reranked}) == N_QUERIES * 10

        # A repeat run over unchanged queries and candidates: zero calls to Cohere.
        server.reset_calls()
        second = rerank_batch(profile="demo", overrides=overrides)
        assert server.calls == []
        assert second["manifest"]["counts"]["cache_hits"] == N_QUERIES
        assert second["metrics"]["reranked"] == pytest.approx(resumed["metrics"]["reranked"])

        # --no-cache bypasses it (and bills again).
        server.reset_calls()
        sets = [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]
        out = CliRunner().invoke(app, ["run", "--profile", "demo", "--no-cache", *sets])
        assert out.exit_code == 0, out.output
        assert len(server.calls) == N_QUERIES

    # Costs from the call logs: the first run billed what the server counted.
    out = CliRunner().invoke(
        app, ["costs", "--profile", "demo", *sets, "--run", first["run_id"], "--json"]
    )
    assert out.exit_code == 0, out.output
    [row] = json.loads(out.output)
    billed = sum(c.search_units for c in first_calls) + 1  # + the resumed query's unit
    assert row["search_units"] == billed
    assert row["cost"] == pytest.approx(billed / 1000 * 2.0)
    assert row["queries"] == N_QUERIES

    # The key is nowhere in what the runs wrote.
    written = files_under(runs) + files_under(tmp_path / "cache")
    assert len(written) > 10
    for path in written:
        assert KEY.encode() not in path.read_bytes(), path


def test_two_workers_share_one_budget(indexed, tmp_path):
    """Two processes on one key, through the Prefect server, stay within one request budget."""
    from prefect.settings import PREFECT_API_URL

    vectorstore.close_clients()  # the copies below must be consistent, and unlocked
    second_queries = tmp_path / "second.jsonl"
    second_queries.write_text(
        "".join(
            json.dumps({"_id": q.qid, "text": f"second worker: {q.text}"}) + "\n"
            for q in load_queries(SAMPLE / "labels.jsonl")
        )
    )
    # A tight budget stretches the request phase (about 21 s for both) well past the spread of
    # the two processes' start-up, so they overlap on a loaded machine too.
    budget, window = 10, 2.0
    with CohereTestServer(keys={KEY: None}) as server:
        procs = []
        for name in ("one", "two"):
            home = tmp_path / name
            # Embedded Qdrant admits one process per path: each worker gets its own copy.
            shutil.copytree(indexed / "qdrant", home / "qdrant")
            shutil.copytree(indexed / "index", home / "index")
            overrides = {
                **cohere_overrides(home, server, "cohere-shared-budget"),
                "reranker.cohere.requests_per_minute": budget,
                "reranker.cohere.rate_window_s": window,
                "reranker.cohere.max_in_flight": 4,
            }
            if name == "two":
                overrides.update({"dataset.queries": str(second_queries), "dataset.labels": None})
            sets = [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]
            sets = [s.replace("=None", "=null") for s in sets]
            env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "CO_API_KEY": KEY}
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "flows.cli", "run", "--profile", "demo", "--no-cache"]
                    + sets,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            outputs = [p.communicate(timeout=300)[0].decode() for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=30)
        calls = server.calls
    for p, output in zip(procs, outputs, strict=True):
        assert p.returncode == 0, output[-3000:]
    ok = [c for c in calls if c.status == 200]
    assert len(ok) == 2 * N_QUERIES
    assert max_in_window([c.t for c in ok], window) <= budget
    # The workers really overlapped: each sent many requests while the other was sending.
    second = [c.t for c in ok if c.query.startswith("second worker: ")]
    first = [c.t for c in ok if not c.query.startswith("second worker: ")]
    overlap = (max(min(first), min(second)), min(max(first), max(second)))
    assert sum(overlap[0] <= t <= overlap[1] for t in first) >= 15
    assert sum(overlap[0] <= t <= overlap[1] for t in second) >= 15
