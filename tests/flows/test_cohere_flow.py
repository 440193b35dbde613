"""The rerank-batch flow on the cohere backend: faults, resume, cache, call log, shared budget."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.rerank_batch import rerank_batch
from tasks.calls.cohere_client import CohereAuthError
from tasks.errors import NotReadyError
from tasks.inputs.loaders import load_queries
from tasks.retrieve import vectorstore
from tests.helpers import SAMPLE, profile_overrides, use_sample_index
from tests.helpers.cohere_server import BAD_ANSWERS, KEY, CohereTestServer, max_in_window

pytestmark = pytest.mark.slow

N_QUERIES = len(load_queries(SAMPLE / "labels.jsonl"))


@pytest.fixture(scope="module")
def indexed(sample_index, tmp_path_factory):
    return use_sample_index(sample_index[0], tmp_path_factory.mktemp("cohere-flow"))


def cohere_overrides(tmp: Path, server: CohereTestServer, limit_name: str, **extra) -> dict:
    return profile_overrides(
        tmp,
        **{
            "reranker.backend": "cohere",
            "reranker.cache_dir": str(tmp / "cache"),
            "reranker.cohere.base_url": server.url,
            "reranker.cohere.requests_per_minute": 600,
            "reranker.cohere.global_limit": limit_name,
            # The host-wide request log of the key, kept inside the test.
            "reranker.cohere.limiter_dir": str(tmp / "limits"),
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
                "reranker.cohere.limiter_dir": str(tmp_path / "limits"),
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


def cli_sets(overrides: dict) -> list[str]:
    sets = [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]
    return [a.replace("=None", "=null") for a in sets]


def read_rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def test_wrong_answers_fail_their_queries_never_the_run(indexed, tmp_path, monkeypatch):
    """Each kind of wrong 200 (findings 1 and 2): the query is retried, then recorded as
    failed; the run completes (exit 3, run id printed); nothing wrong is scored or cached;
    a resume against the healthy server buys those queries again."""
    monkeypatch.setenv("CO_API_KEY", KEY)
    queries = load_queries(SAMPLE / "labels.jsonl")
    targets = dict(zip(BAD_ANSWERS, queries[3 : 3 + len(BAD_ANSWERS)], strict=True))
    with CohereTestServer(keys={KEY: None}) as server:
        overrides = {
            **cohere_overrides(indexed, server, "cohere-flow-test"),
            "run.runs_root": str(tmp_path / "runs"),
            "reranker.cache_dir": str(tmp_path / "cache"),
            "reranker.cohere.max_attempts": 2,
            "reranker.cohere.max_retry_seconds": 10,
        }
        for fault, query in targets.items():
            server.inject(fault, count=2, query=query.text)
        out = CliRunner().invoke(app, ["run", "--profile", "demo", *cli_sets(overrides)])
        assert out.exit_code == 3, out.output
        assert server.faults_left == 0
        [line] = [x for x in out.output.splitlines() if x.startswith("run ")]
        run_id = line.split()[1]
        [run_dir] = (tmp_path / "runs").glob(f"run_date=*/run_id={run_id}")
        manifest = json.loads((run_dir / "manifest.json").read_text())
        assert manifest["status"] == "completed"
        failed = {r["qid"]: r["reason"] for r in read_rows(run_dir / "failed.parquet")}
        assert set(failed) == {q.qid for q in targets.values()}
        assert all("invalid answer (HTTP 200)" in reason for reason in failed.values())
        reranked = read_rows(run_dir / "reranked.parquet")
        assert {r["qid"] for r in reranked}.isdisjoint(failed)
        assert len(reranked) == (N_QUERIES - len(targets)) * 10
        assert all(math.isfinite(r["rerank_score"]) for r in reranked)
        # Every request is on the call log, the wrong answers with their billed units.
        calls = read_rows(run_dir / "calls.parquet")
        assert len(calls) == len(server.calls) == N_QUERIES + len(targets)
        wrong = [c for c in calls if (c["error"] or "").startswith("invalid answer")]
        assert len(wrong) == 2 * len(targets) and {c["http_status"] for c in wrong} == {200}
        assert sum(c["search_units"] or 0 for c in wrong) == 2 * (len(targets) - 1)

        # Healthy again: the resume asks for exactly those queries (none was cached).
        server.reset_calls()
        sets = cli_sets(overrides)
        out = CliRunner().invoke(app, ["run", "--profile", "demo", "--resume", run_id, *sets])
        assert out.exit_code == 0, out.output
        assert sorted(c.query for c in server.calls) == sorted(q.text for q in targets.values())
        reranked = read_rows(run_dir / "reranked.parquet")
        assert len(reranked) == N_QUERIES * 10
        assert all(math.isfinite(r["rerank_score"]) for r in reranked)


def test_missing_key_stops_before_anything_is_written(indexed, tmp_path, monkeypatch):
    from flows.faq_precompute import faq_precompute

    monkeypatch.delenv("CO_API_KEY", raising=False)
    with CohereTestServer(keys={KEY: None}) as server:
        overrides = {
            **cohere_overrides(indexed, server, None),
            "run.runs_root": str(tmp_path / "runs"),
        }
        with pytest.raises(NotReadyError, match="CO_API_KEY"):
            rerank_batch(profile="demo", overrides=overrides)
        with pytest.raises(NotReadyError, match="CO_API_KEY"):
            faq_precompute(profile="demo", overrides=overrides, faq_dir=str(tmp_path / "faq"))
        assert server.calls == []
    assert not (tmp_path / "runs").exists() and not (tmp_path / "faq").exists()


def test_refused_key_is_asked_once_and_the_run_resumes(indexed, tmp_path, monkeypatch):
    from tasks.rerank.registry import get_reranker

    monkeypatch.setenv("CO_API_KEY", "refused-key-5e0c")
    get_reranker.cache_clear()
    with CohereTestServer(keys={KEY: None}) as server:
        overrides = {
            **cohere_overrides(indexed, server, "cohere-flow-test"),
            "run.runs_root": str(tmp_path / "runs"),
            "reranker.cache_dir": str(tmp_path / "cache"),
        }
        with pytest.raises(CohereAuthError, match="refused the API key"):
            rerank_batch(profile="demo", overrides=overrides)
        assert [c.status for c in server.calls] == [401]  # no second try, by us or by Prefect
        [run_dir] = (tmp_path / "runs").glob("run_date=*/run_id=*")
        # The batch that met the refusal landed: its queries failed, with the reason.
        failed = read_rows(run_dir / "_parts" / "batch-00000.failed.parquet")
        assert len(failed) == 16 and all("refused" in f["reason"] for f in failed)
        assert not (run_dir / "_parts" / "batch-00001.reranked.parquet").exists()

        monkeypatch.setenv("CO_API_KEY", KEY)
        get_reranker.cache_clear()  # the refused key is held by this process's backend
        run_id = run_dir.name.removeprefix("run_id=")
        resumed = rerank_batch(profile="demo", overrides=overrides, resume_run_id=run_id)
        assert resumed["manifest"]["counts"]["failed_queries"] == 0
        statuses = [c.status for c in server.calls]
        assert statuses.count(401) == 1 and statuses.count(200) == N_QUERIES
        calls = read_rows(run_dir / "calls.parquet")
        assert len(calls) == len(statuses)  # the refused request is on the log too
    get_reranker.cache_clear()


def test_a_user_error_is_not_retried_by_prefect(prefect_server):
    from prefect import flow, task

    from tasks.prefect_tasks import retry_unless_user_error

    tries: list[str] = []

    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=retry_unless_user_error)
    def flaky(exc: Exception) -> None:
        tries.append(type(exc).__name__)
        raise exc

    @flow
    def both() -> None:
        for exc in (CohereAuthError("refused"), OSError("disk hiccup")):
            state = flaky(exc, return_state=True)
            assert state.is_failed()

    both()
    assert tries == ["CohereAuthError"] + ["OSError"] * 3


def test_killed_mid_batch_resume_buys_nothing_twice(indexed, tmp_path, monkeypatch):
    """Finding 3: kill -9 while a batch is part-way (its other answers paid and received),
    resume: the server's answered requests, the call log and `costs` agree, and no query is
    bought twice."""
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("CO_API_KEY", KEY)
    vectorstore.close_clients()  # the child process needs the embedded store's lock
    runs = tmp_path / "runs"
    queries = load_queries(SAMPLE / "labels.jsonl")
    held = queries[20]  # in batch 1 (16 queries a batch)
    with CohereTestServer(keys={KEY: None}) as server:
        overrides = {
            **cohere_overrides(indexed, server, "cohere-flow-test"),
            "run.runs_root": str(runs),
            "reranker.cache_dir": str(tmp_path / "cache"),
        }
        server.inject("hold", query=held.text)
        env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "CO_API_KEY": KEY}
        child = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "run", "--profile", "demo", *cli_sets(overrides)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 240
        journal: list[Path] = []
        try:
            # Until batch 1's other 15 answers are journaled and the 16th waits at the server.
            while time.monotonic() < deadline and child.poll() is None:
                journal = list(
                    runs.glob("run_date=*/run_id=*/_parts/journal/batch-00001/*.parquet")
                )
                if server.held == 1 and len(journal) >= 15:
                    break
                time.sleep(0.05)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
            server.release_held()
        assert child.returncode == -signal.SIGKILL, "the run ended before it could be killed"
        assert len(journal) == 15
        answered = [c for c in server.calls if c.status == 200]
        assert len(answered) == 16 + 15
        [run_dir] = list(runs.glob("run_date=*/run_id=*"))
        assert not (run_dir / "calls.parquet").exists()

        run_id = run_dir.name.removeprefix("run_id=")
        resumed = rerank_batch(profile="demo", overrides=overrides, resume_run_id=run_id)
        assert resumed["manifest"]["counts"]["failed_queries"] == 0
        answered = [c for c in server.calls if c.status == 200]
        # Each query bought once: the dying batch's answers were not bought again.
        assert sorted(c.query for c in answered) == sorted(q.text for q in queries)
    calls = read_rows(run_dir / "calls.parquet")
    assert all(c["cache_hit"] is not None and c["run_id"] == run_id for c in calls)
    paid = [c for c in calls if not c["cache_hit"]]
    assert len(paid) == len(answered) == N_QUERIES
    assert len({c["call_id"] for c in calls}) == len(calls)
    out = CliRunner().invoke(
        app, ["costs", "--profile", "demo", *cli_sets(overrides), "--run", run_id, "--json"]
    )
    assert out.exit_code == 0, out.output
    [row] = json.loads(out.output)
    assert row["requests"] == N_QUERIES and row["queries"] == N_QUERIES
    assert row["search_units"] == sum(c.search_units for c in answered)
    # The dying batch's journal was folded into one part when the batch landed.
    assert len(list((run_dir / "_parts" / "journal" / "batch-00001").iterdir())) == 1


def test_two_processes_share_one_budget_without_a_prefect_server(indexed, tmp_path):
    """No PREFECT_API_URL: the host-wide request log (SQLite under a file lock) alone keeps
    two processes on one key within one budget."""
    vectorstore.close_clients()
    second_queries = tmp_path / "second.jsonl"
    second_queries.write_text(
        "".join(
            json.dumps({"_id": q.qid, "text": f"second worker: {q.text}"}) + "\n"
            for q in load_queries(SAMPLE / "labels.jsonl")
        )
    )
    budget, window = 10, 2.0
    with CohereTestServer(keys={KEY: None}) as server:
        procs = []
        for name in ("one", "two"):
            home = tmp_path / name
            shutil.copytree(indexed / "qdrant", home / "qdrant")
            shutil.copytree(indexed / "index", home / "index")
            overrides = {
                **cohere_overrides(home, server, None),
                "reranker.cohere.requests_per_minute": budget,
                "reranker.cohere.rate_window_s": window,
                "reranker.cohere.max_in_flight": 4,
                "reranker.cohere.limiter_dir": str(tmp_path / "limits"),
            }
            if name == "two":
                overrides.update({"dataset.queries": str(second_queries), "dataset.labels": None})
            env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
            # Each process its own ephemeral Prefect API (and database): no shared server.
            env.update(CO_API_KEY=KEY, PREFECT_HOME=str(home / "prefect"))
            # Its start-up (20 s allowed by default) can run long on a loaded machine.
            env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "flows.cli", "run", "--profile", "demo", "--no-cache"]
                    + cli_sets(overrides),
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            outputs = [p.communicate(timeout=400)[0].decode() for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=30)
        calls = server.calls
    for p, output in zip(procs, outputs, strict=True):
        assert p.returncode == 0, output[-3000:]
    ok = [c for c in calls if c.status == 200]
    assert len(ok) == 2 * N_QUERIES and len(calls) == len(ok)  # no 429: the budget held
    assert max_in_window([c.t for c in ok], window) <= budget
    second = [c.t for c in ok if c.query.startswith("second worker: ")]
    first = [c.t for c in ok if not c.query.startswith("second worker: ")]
    overlap = (max(min(first), min(second)), min(max(first), max(second)))
    assert sum(overlap[0] <= t <= overlap[1] for t in first) >= 15
    assert sum(overlap[0] <= t <= overlap[1] for t in second) >= 15
