"""The bake-off: one retrieval, several rerankers, one table; equal to separate runs + compare;
a failing column leaves the others whole and resume completes it."""

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

from config.settings import load_settings
from flows import preflight
from flows.bakeoff import bakeoff
from flows.cli import app
from flows.rerank_batch import rerank_batch
from tasks import bakeoff as bo
from tasks import costs
from tasks.errors import InputError, SettingsError
from tasks.evaluate.compare import compare_runs
from tasks.inputs.loaders import load_qrels, load_queries
from tasks.retrieve import vectorstore
from tasks.runs import layout, runstore
from tests.helpers import REPO, SAMPLE, assert_metrics_close, profile_overrides, use_sample_index
from tests.helpers.cohere_server import KEY, CohereTestServer

N_QUERIES = len(load_queries(SAMPLE / "labels.jsonl"))
N_BATCHES = -(-N_QUERIES // 16)  # the demo profile's query_batch_size


# --------------------------------------------------------------------------- pure parts


def test_specs_metric_and_refusals(tmp_path):
    specs = bo.parse_specs(["bm25", "flag:BAAI/bge-reranker-v2-m3", "cohere"])
    assert [s.name for s in specs] == ["none", "bm25", "flag:BAAI/bge-reranker-v2-m3", "cohere"]
    assert bo.parse_spec("cross-encoder:/models/a:b").model == "/models/a:b"
    settings = load_settings("demo", profile_overrides(tmp_path))
    assert bo.parse_metric("ndcg@10", settings) == ("ndcg", 10)
    cohere = bo.column_settings(settings, bo.RerankerSpec("cohere"))
    assert cohere.reranker.model == "rerank-v3.5"
    gpu = settings.model_copy(
        update={"run": settings.run.model_copy(update={"rerank_deployment": "rerank-gpu/x"})}
    )
    # Only model backends go to the gpu pool.
    assert bo.column_settings(gpu, bo.RerankerSpec("bm25")).run.rerank_deployment is None
    flag = bo.column_settings(gpu, bo.RerankerSpec("flag", "/m"))
    assert flag.run.rerank_deployment == "rerank-gpu/x"
    for bad, says in [
        (["foo"], "unknown backend 'foo'"),
        (["flag"], "needs a model: flag:MODEL"),
        (["bm25:x"], "takes no model"),
        (["bm25", "bm25"], "given twice"),
        ([], "no rerankers"),
    ]:
        with pytest.raises(SettingsError, match=says):
            preflight.check_bakeoff(settings, bad, "recall@5", 0.05)
    with pytest.raises(SettingsError, match=r"k=7 must be in run.ks"):
        preflight.check_bakeoff(settings, ["bm25"], "recall@7", 0.05)
    with pytest.raises(SettingsError, match="expected name@k"):
        preflight.check_bakeoff(settings, ["bm25"], "chunk_coverage@5", 0.05)
    unlabelled = load_settings("demo", {**profile_overrides(tmp_path), "dataset.labels": None})
    with pytest.raises(SettingsError, match="needs labels"):
        preflight.check_bakeoff(unlabelled, ["bm25"], "recall@5", 0.05)
    with pytest.raises(InputError, match="no bake-off 'nope'"):
        preflight.check_bakeoff_resume(settings, "nope")
    # The CLI refuses in one line, before any server or write.
    sets = [a for k, v in profile_overrides(tmp_path).items() for a in ("--set", f"{k}={v}")]
    out = CliRunner().invoke(app, ["bakeoff", *sets, "--reranker", "flag"])
    assert out.exit_code == 2 and "needs a model" in out.output
    assert not (tmp_path / "runs").exists()


def test_break_even_and_best():
    # 500 pairs/s, 50 pairs a query: 864,000 queries a day; 48 a day against 0.002 a query.
    even = bo.break_even(500.0, 50.0, 2.0, 0.002)
    assert even["capacity_per_day"] == pytest.approx(864_000)
    assert even["volume"] == pytest.approx(24_000)
    # 1 pair/s: one device at full load (1,728 queries a day) costs more than the API would.
    assert bo.break_even(1.0, 50.0, 2.0, 0.002)["volume"] is None
    assert bo.break_even(None, 50.0, 2.0, 0.002)["capacity_per_day"] is None

    def pair(a, b, delta, p):
        return {"a": a, "b": b, "delta": delta, "p_value": p}

    means = {"none": 0.6, "bge": 0.79, "cohere": 0.83}
    pairs = {
        ("bge", "none"): pair("none", "bge", 0.19, 0.001),
        ("cohere", "none"): pair("none", "cohere", 0.23, 0.001),
        ("bge", "cohere"): pair("bge", "cohere", 0.04, 0.2),
    }
    assert bo.best_columns(means, pairs, 0.05) == ["bge", "cohere"]
    pairs[("bge", "cohere")] = pair("cohere", "bge", -0.04, 0.01)  # stored the other way round
    assert bo.best_columns(means, pairs, 0.05) == ["cohere"]


def test_hits_dir_follows_the_manifest(tmp_path):
    run_dir = tmp_path / "run_date=2026-01-01" / "run_id=x"
    assert runstore.hits_dir(run_dir) == run_dir  # no manifest: its own
    run_dir.mkdir(parents=True)
    shared = {"run_id": "x", "shared_retrieval": {"dir": "b/r"}}
    (run_dir / "manifest.json").write_text(json.dumps(shared))
    assert runstore.hits_dir(run_dir) == tmp_path / "b" / "r"


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def indexed(sample_index, tmp_path_factory):
    return use_sample_index(sample_index[0], tmp_path_factory.mktemp("bakeoff"))


def _overrides(indexed: Path, tmp: Path, server: CohereTestServer, limit: str) -> dict:
    return profile_overrides(
        indexed,
        **{
            "run.runs_root": str(tmp / "runs"),
            "reranker.cache_dir": str(tmp / "cache"),
            "reranker.cohere.base_url": server.url,
            "reranker.cohere.requests_per_minute": 600,
            "reranker.cohere.global_limit": limit,
        },
    )


def _column(table: dict, name: str) -> dict:
    return next(c for c in table["columns"] if c["name"] == name)


@pytest.mark.slow
def test_bakeoff_equals_separate_runs_and_resumes_a_failed_column(
    indexed, tmp_path, monkeypatch, tiny_cross_encoder
):
    monkeypatch.setenv("CO_API_KEY", KEY)
    missing = tmp_path / "flag-model"  # no weights yet: the flag column fails
    ce, flag = f"cross-encoder:{tiny_cross_encoder}", f"flag:{missing}"
    qrels = load_qrels(SAMPLE / "labels.jsonl")
    with CohereTestServer(keys={KEY: None}) as server:
        overrides = _overrides(indexed, tmp_path, server, "bakeoff-test")
        result = bakeoff(
            profile="demo", overrides=overrides, rerankers=["bm25", ce, "cohere", flag]
        )
        table, bakeoff_dir = result["table"], Path(result["bakeoff_dir"])
        assert [c["name"] for c in table["columns"]] == ["none", "bm25", ce, "cohere", flag]
        assert table["failed"] == [flag]
        failed = _column(table, flag)
        assert failed["status"] == "failed" and str(missing) in failed["reason"]
        assert len(server.calls) == N_QUERIES  # cohere billed once a query

        # One retrieval, shared: the hits parts live in the bake-off, none in the runs.
        hits = sorted((bakeoff_dir / "retrieval" / "_parts").glob("*.hits.parquet"))
        assert len(hits) == N_BATCHES
        hits_mtimes = [p.stat().st_mtime_ns for p in hits]
        runs = {}
        for c in table["columns"]:
            run_dir = layout.find_run(tmp_path / "runs", c["run_id"])
            runs[c["name"]] = run_dir
            assert not list((run_dir / "_parts").glob("*.hits.parquet"))
            manifest = json.loads((run_dir / "manifest.json").read_text())
            assert (
                manifest["shared_retrieval"]["dir"] == f"bakeoffs/{result['bakeoff_id']}/retrieval"
            )
            if c["status"] == "completed":
                assert manifest["status"] == "completed" and manifest["attempts"] == 1
                assert (run_dir / "metrics.json").exists()
        written = json.loads((bakeoff_dir / "bakeoff.json").read_text())
        assert [c["status"] for c in written["columns"]] == ["completed"] * 4 + ["failed"]
        assert json.loads((bakeoff_dir / "table.json").read_text())["failed"] == [flag]
        assert (bakeoff_dir / "quality_vs_cost.png").read_bytes()[:4] == b"\x89PNG"
        html = (bakeoff_dir / "report.html").read_text()
        assert result["bakeoff_id"] in html and "FAILED" in html and "data:image/png" in html

        # Separate runs on the same candidates give the same numbers.
        server.reset_calls()
        separate = {}
        for name, backend, model in [
            ("none", "none", None),
            ("bm25", "bm25", None),
            (ce, "cross-encoder", str(tiny_cross_encoder)),
            ("cohere", "cohere", None),
        ]:
            own = {
                **overrides,
                "run.runs_root": str(tmp_path / "separate"),
                "reranker.backend": backend,
                "reranker.model": model,
                "reranker.cache": False,  # billed again, so its costs are a fresh run's
            }
            run = rerank_batch(profile="demo", overrides=own)
            separate[name] = Path(run["run_dir"])
            for file, score in [
                ("candidates.parquet", "retrieval_score"),
                ("reranked.parquet", "rerank_score"),
            ]:
                mine = pq.read_table(runs[name] / file).to_pydict()
                theirs = pq.read_table(separate[name] / file).to_pydict()
                # Same documents in the same order; scores equal up to float32 embedding noise
                # (the query is embedded again by the separate run).
                for column in ("qid", "doc_id", "retrieval_rank"):
                    assert mine[column] == theirs[column], (name, file, column)
                assert mine[score] == pytest.approx(theirs[score], rel=1e-5, abs=1e-6)
            got = json.loads((runs[name] / "metrics.json").read_text())
            want = json.loads((separate[name] / "metrics.json").read_text())
            got.pop("run"), want.pop("run")
            assert_metrics_close(got, want)
            column = _column(table, name)
            for key in table["shown"]:
                assert column["metrics"][key] == pytest.approx(want["reranked"][key], abs=1e-12)
        assert len(server.calls) == N_QUERIES

    for name in ("bm25", ce, "cohere"):
        entry = compare_runs(separate["none"], separate[name], qrels, ks=[5])["stages"]
        want = entry["reranked"]["recall@5"]
        got = _column(table, name)["vs_baseline"]
        for key in ("wins", "losses", "ties", "n"):
            assert got[key] == want[key], (name, key)
        assert got["delta"] == pytest.approx(want["delta"], abs=1e-12)
        assert got["p_value"] == pytest.approx(want["p_value"])
    calls = costs.read_calls([separate["cohere"] / "calls.parquet"])
    [row] = costs.run_costs(calls, load_settings("demo").costs, 10_000)
    cohere = _column(table, "cohere")
    assert cohere["cost_per_1k_queries"] == pytest.approx(row["cost_per_1k_new_queries"])
    assert cohere["cost_per_30_days"] == pytest.approx(row["projected_per_30_days"])
    assert cohere["search_units_per_query"] == 1.0  # 50 documents: one search unit
    assert cohere["cost_per_1k_queries"] == pytest.approx(2.0)  # 1,000 units at 2.00
    local = _column(table, ce)
    assert local["pairs_per_query"] == 50 and local["pairs_per_second"] > 0
    assert local["dedicated_device"]["versus"] == "cohere"
    assert 0 < local["latency_p50_s"] <= local["latency_p95_s"]
    assert cohere["latency_p50_s"] > 0
    # The best: none of the others beats them significantly; the top mean is always one.
    top = max(
        (c for c in table["columns"] if c["status"] == "completed"),
        key=lambda c: c["metrics"]["recall@5"],
    )
    assert top["name"] in table["best"]

    # Fix the failed column (its weights appear), resume: only it runs.
    before = {n: (runs[n] / "manifest.json").read_bytes() for n in ("none", "bm25", ce, "cohere")}
    shutil.copytree(tiny_cross_encoder, missing)
    with CohereTestServer(keys={KEY: None}) as server:
        resumed = bakeoff(
            profile="demo",
            overrides=_overrides(indexed, tmp_path, server, "bakeoff-test"),
            resume_bakeoff_id=result["bakeoff_id"],
        )
        assert server.calls == []
    table2 = resumed["table"]
    assert table2["failed"] == [] and _column(table2, flag)["status"] == "completed"
    assert [p.stat().st_mtime_ns for p in hits] == hits_mtimes  # not retrieved again
    for name, data in before.items():
        assert (runs[name] / "manifest.json").read_bytes() == data, name
    flag_manifest = json.loads((runs[flag] / "manifest.json").read_text())
    # Missing weights are refused before the column's first attempt starts (preflight): the
    # resume is its first attempt.
    assert flag_manifest["status"] == "completed" and flag_manifest["attempts"] == 1
    for name in before:
        # Equal up to DuckDB's parallel summation order.
        assert _column(table2, name)["metrics"] == pytest.approx(
            _column(table, name)["metrics"], abs=1e-12
        )
    # The flag column is the tiny cross-encoder's weights under the flag backend.
    assert json.loads((bakeoff_dir / "bakeoff.json").read_text())["status"] == "completed"


@pytest.mark.slow
def test_console_entry_fails_a_column_then_resumes(indexed, tmp_path):
    """`python -m flows.cli bakeoff`: a missing Cohere key fails its column (exit 3), the
    others are whole; --resume with the key completes it (exit 0)."""
    from prefect.settings import PREFECT_API_URL

    vectorstore.close_clients()  # the child process needs the embedded store's lock
    with CohereTestServer(keys={KEY: None}) as server:
        overrides = _overrides(indexed, tmp_path, server, "bakeoff-cli")
        sets = [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]
        env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
        env.pop("CO_API_KEY", None)

        def cli(*args: str, key: str | None = None) -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "-m", "flows.cli", "bakeoff", "-p", "demo", *sets, *args],
                cwd=REPO,
                env={**env, **({"CO_API_KEY": key} if key else {})},
                capture_output=True,
                text=True,
                timeout=600,
            )

        first = cli("--reranker", "bm25", "--reranker", "cohere", "--json")
        assert first.returncode == 3, first.stderr[-3000:]
        table = json.loads(first.stdout)
        assert table["failed"] == ["cohere"]
        assert "CO_API_KEY" in _column(table, "cohere")["reason"]
        assert _column(table, "bm25")["status"] == "completed"
        assert f"rerankflow bakeoff --resume {table['bakeoff_id']}" in first.stderr
        assert server.calls == []

        second = cli("--resume", table["bakeoff_id"], key=KEY)
        assert second.returncode == 0, second.stderr[-3000:]
        assert f"bake-off {table['bakeoff_id']}" in second.stdout
        assert "FAILED" not in second.stdout
        assert len([c for c in server.calls if c.status == 200]) == N_QUERIES
    done = json.loads(
        (tmp_path / "runs" / "bakeoffs" / table["bakeoff_id"] / "table.json").read_text()
    )
    assert done["failed"] == []
    assert _column(done, "bm25")["metrics"] == pytest.approx(
        _column(table, "bm25")["metrics"], abs=1e-12
    )
