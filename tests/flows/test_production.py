"""The production topology end to end: a real `prefect server start`, a `cpu` pool with a process
worker and a `gpu` pool with two (one device each), `prefect deploy --all`, and a nightly run and
an FAQ refresh whose rerank stages are handed to the gpu pool as two shards that share the
batches by claims; then a shard killed mid-stage and the run resumed. The workers share nothing
but the Prefect server and the runs root, which is an S3 bucket (moto's S3-compatible server on
127.0.0.1, through s3fs). Every process started here is stopped by pid."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
import yaml

from tasks.runs import claims, runstore, storage
from tests.helpers import REPO, S3_ENV, SAMPLE, assert_metrics_close, profile_overrides

pytestmark = pytest.mark.slow
PREFECT = [sys.executable, "-m", "prefect"]
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def started() -> Iterator[list[subprocess.Popen]]:
    """Processes appended to the list are stopped on exit, with their process groups (a worker
    runs each flow run as its own child), whatever happened in between."""
    procs: list[subprocess.Popen] = []
    try:
        yield procs
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)


def spawn(procs: list, args: list[str], env: dict, log: Path) -> subprocess.Popen:
    out = log.open("w")
    proc = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    procs.append(proc)
    return proc


def check(args: list[str], env: dict, timeout: float = 300) -> str:
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def wait_healthy(api: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("prefect server did not become healthy: " + log.read_text()[-3000:])


def flow_runs(api: str) -> list[dict]:
    response = httpx.post(f"{api}/flow_runs/filter", json={"limit": 200, "offset": 0})
    response.raise_for_status()
    return response.json()


def start_deployment(name: str, params: dict, env: dict) -> str:
    """Trigger a deployment from the CLI; its flow run's id."""
    out = check([*PREFECT, "deployment", "run", name, "--params", json.dumps(params)], env)
    [run_id] = re.findall(r"UUID: ([0-9a-f-]{36})", out)
    return run_id


def wait_run(api: str, run_id: str) -> dict:
    """The flow run's JSON once it has ended."""
    deadline = time.monotonic() + 480
    while time.monotonic() < deadline:
        run = httpx.get(f"{api}/flow_runs/{run_id}").json()
        if run["state_type"] in TERMINAL:
            return run
        time.sleep(2)
    raise AssertionError(f"flow run {run_id} still {run['state_type']} after 480 s")


def run_deployment(api: str, name: str, params: dict, env: dict, logs: Path) -> dict:
    """Trigger a deployment from the CLI and wait for its flow run to end; the run's JSON."""
    run = wait_run(api, start_deployment(name, params, env))
    worker_logs = "\n".join(p.read_text()[-2500:] for p in sorted(logs.glob("worker-*")))
    assert run["state_type"] == "COMPLETED", worker_logs
    return run


def wait_gone(pid: int) -> None:
    """Until the process has exited (a flow run's process may outlive its final state)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    raise AssertionError(f"pid {pid} still running")


def infrastructure_pid(run: dict) -> int:
    return int(run["infrastructure_pid"].rsplit(":", 1)[-1])


def test_nightly_shards_rerank_on_the_gpu_pool(tmp_path, tiny_cross_encoder, s3_runs):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "RERANKFLOW_HOME": str(REPO),
        "HF_HUB_OFFLINE": "1",
        **S3_ENV,
    }
    url, options = s3_runs
    overrides = profile_overrides(
        tmp_path,
        **{
            "reranker.backend": "cross-encoder",
            "reranker.model": str(tiny_cross_encoder),
            "run.runs_root": url,
            "run.storage_options.endpoint_url": options["endpoint_url"],
            "run.rerank_workers": 2,
        },
    )
    sets = [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]
    logs = tmp_path / "logs"
    logs.mkdir()

    with started() as procs:
        server_log = logs / "server.log"
        server = spawn(
            procs,
            [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env,
            server_log,
        )
        wait_healthy(api, server, server_log)
        for pool in ("cpu", "gpu"):
            check([*PREFECT, "work-pool", "create", pool, "--type", "process"], env)
        check([*PREFECT, "--no-prompt", "deploy", "--all"], env)
        check([sys.executable, "-m", "flows.cli", "index", "--profile", "demo", *sets], env)
        spawn(
            procs,
            [*PREFECT, "worker", "start", "--pool", "cpu", "--type", "process"],
            env,
            logs / "worker-cpu.log",
        )
        # Two gpu workers on this host, one flow run at a time each, each owning one device
        # (two GPUs would be cuda:0 and cuda:1), so the two shards of a stage run side by side.
        for i in (1, 2):
            spawn(
                procs,
                [*PREFECT, "worker", "start", "--pool", "gpu", "--type", "process"]
                + ["--name", f"gpu-{i}", "--limit", "1"],
                {**env, "RERANKFLOW_DEVICE": f"cpu:{i}"},
                logs / f"worker-gpu-{i}.log",
            )

        # No run.rerank_deployment here: the deployments' own (prefect.yaml's
        # deployment_overrides) must survive a user's overrides and send the stage to gpu.
        to_gpu = dict(overrides)
        nightly = run_deployment(
            api,
            "nightly-regression/nightly-regression",
            {"profile": "demo", "overrides": to_gpu},
            env,
            logs,
        )
        # A copy of the store: the nightly's flow-run process may still be closing the
        # original (embedded Qdrant admits one process per path).
        shutil.copytree(tmp_path / "qdrant", tmp_path / "qdrant-faq")
        faq_params = {
            "profile": "demo",
            "overrides": {
                **to_gpu,
                "qdrant.path": str(tmp_path / "qdrant-faq"),
                "dataset.queries": str(SAMPLE / "labels.jsonl"),
                "dataset.labels": None,
            },
            "faq_dir": str(tmp_path / "faq"),
        }
        faq_run = run_deployment(api, "faq-precompute/faq-precompute", faq_params, env, logs)

        # Each rerank stage was two flow runs (shards 1 and 2) from the rerank-gpu deployment,
        # on the gpu pool, subflows of their caller (the nightly's rerank_batch subflow; the
        # FAQ refresh), run by both gpu workers (the worker's name is the flow run's label).
        runs = flow_runs(api)
        shards = [r for r in runs if "run_dir" in r["parameters"]]
        assert len(shards) == 4, [r["name"] for r in runs]
        for shard in shards:
            assert shard["work_pool_name"] == "gpu" and shard["state_type"] == "COMPLETED"
            assert shard["parent_task_run_id"] is not None
            assert shard["parameters"]["storage_options"] == options
            assert shard["parameters"]["run_dir"].startswith(url + "/run_date=")
            assert shard["name"].endswith(f"-shard-{shard['parameters']['shard']}-of-2")
        assert nightly["work_pool_name"] == faq_run["work_pool_name"] == "cpu"
        task_runs = httpx.post(f"{api}/task_runs/filter", json={"limit": 200}).json()
        parent_flow = {t["id"]: t["flow_run_id"] for t in task_runs}
        by_caller: dict[str, list[dict]] = {}
        for shard in shards:
            by_caller.setdefault(parent_flow[shard["parent_task_run_id"]], []).append(shard)
        assert faq_run["id"] in by_caller and len(by_caller) == 2
        for stage in by_caller.values():
            assert sorted(s["parameters"]["shard"] for s in stage) == [1, 2]
            assert {s["labels"]["prefect.worker.name"] for s in stage} == {"gpu-1", "gpu-2"}
            # Every batch was claimed once, by one of the stage's two flow runs.
            [run_dir] = {s["parameters"]["run_dir"] for s in stage}
            taken = claims.claims(storage.location(run_dir, options), "rerank", 1)
            n = storage.read_json(storage.location(run_dir, options) / "manifest.json")
            assert sorted(taken) == list(range(n["counts"]["batches"]))
            assert {r["flow_run_id"] for r in taken.values()} <= {s["id"] for s in stage}
        # One device limit per gpu worker, one slot each.
        limits = httpx.post(f"{api}/v2/concurrency_limits/filter", json={}).json()
        device = [g for g in limits if g["name"].startswith("rerank-device-")]
        assert sorted(g["name"][-5:] for g in device) == ["cpu-1", "cpu-2"], limits
        assert [g["limit"] for g in device] == [1, 1], limits

        # Schedules registered as declared in prefect.yaml.
        spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
        for d in spec["deployments"]:
            name = d["name"]
            got = httpx.get(f"{api}/deployments/name/{name}/{name}").json()
            assert got["work_pool_name"] == d["work_pool"]["name"]
            want = [(s["cron"], s["timezone"]) for s in d.get("schedules", [])]
            schedules = [
                (s["schedule"]["cron"], s["schedule"]["timezone"]) for s in got["schedules"]
            ]
            assert schedules == want

        # A shard killed mid-stage (its flow run's process, by the pid its claim records):
        # the batch it held is left undone, the run fails naming it, and a resume (attempt 2)
        # claims afresh and finishes it, every row once.
        shutil.copytree(tmp_path / "qdrant", tmp_path / "qdrant-kill")
        root = storage.location(url, options)
        before = {str(d) for d in root.glob("run_date=*/run_id=*")}
        kill_overrides = {
            **to_gpu,
            "qdrant.path": str(tmp_path / "qdrant-kill"),
            "run.query_batch_size": 2,
        }
        params = {"profile": "demo", "overrides": kill_overrides}
        kill_id = start_deployment("nightly-regression/nightly-regression", params, env)
        victim, kill_dir = None, None
        deadline = time.monotonic() + 300
        while victim is None and time.monotonic() < deadline:
            if kill_dir is None:
                new = [d for d in root.glob("run_date=*/run_id=*") if str(d) not in before]
                kill_dir = new[0] if new else None
            else:
                taken = sorted((kill_dir / "_parts" / "claims" / "a001").glob("rerank-*"))
                victim = storage.read_json(taken[0]) if taken else None
            time.sleep(0.1)
        assert victim is not None and kill_dir is not None, "no shard claimed a batch"
        os.kill(victim["pid"], signal.SIGKILL)
        killed = wait_run(api, kill_id)
        assert killed["state_type"] == "FAILED"
        shard = httpx.get(f"{api}/flow_runs/{victim['flow_run_id']}").json()
        assert shard["state_type"] == "CRASHED" and infrastructure_pid(shard) == victim["pid"]
        n = storage.read_json(kill_dir / "manifest.json")["counts"]["batches"]
        undone = [b for b in range(n) if not runstore.batch_done(kill_dir, b)]
        first = claims.claims(kill_dir, "rerank", 1)
        assert len(undone) == 1 and first[undone[0]]["pid"] == victim["pid"], (undone, victim)
        wait_gone(infrastructure_pid(killed))  # the embedded Qdrant store is free again
        kill_run_id = kill_dir.name.removeprefix("run_id=")
        check(
            [sys.executable, "-m", "flows.cli", "run", "--profile", "demo"]
            + ["--resume", kill_run_id, *sets],
            env,
        )
        assert sorted(claims.claims(kill_dir, "rerank", 2)) == undone
        assert claims.claims(kill_dir, "rerank", 1) == {}  # the dead attempt's, cleared
        resumed = storage.read_json(kill_dir / "manifest.json")
        assert resumed["attempts"] == 2 and resumed["status"] == "completed"

    # Nothing was written to the workers' disks: the hand-off was the bucket.
    assert not (tmp_path / "runs").exists()
    faq_table = pq.read_table((tmp_path / "faq" / "faq.parquet").open("rb"))
    assert faq_table.num_rows == 61 * 10

    # Parquet and metrics match an in-process run of the same input, on a local runs root.
    stage_dirs = [
        storage.location(d, options) for d in sorted({s["parameters"]["run_dir"] for s in shards})
    ]
    [run_dir] = [
        d for d in stage_dirs if storage.read_json(d / "manifest.json").get("kind") != "faq"
    ]
    local_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    # A copy of the store: the worker's flow-run process may still be closing the original
    # (embedded Qdrant admits one process per path).
    shutil.copytree(tmp_path / "qdrant", tmp_path / "qdrant-local")
    local_sets = sets + [
        "--set",
        f"run.runs_root={tmp_path / 'local-runs'}",
        "--set",
        f"qdrant.path={tmp_path / 'qdrant-local'}",
    ]
    check([sys.executable, "-m", "flows.cli", "run", "--profile", "demo", *local_sets], local_env)
    [local_dir] = (tmp_path / "local-runs").glob("run_date=*/run_id=*")
    # The killed and resumed run too: nothing lost, nothing twice.
    for sharded in (run_dir, kill_dir):
        for name, rank in (("candidates", "retrieval_rank"), ("reranked", "rank")):
            order = [("qid", "ascending"), (rank, "ascending")]
            got = storage.read_parquet(sharded / f"{name}.parquet").sort_by(order).to_pylist()
            want = pq.read_table(local_dir / f"{name}.parquet").sort_by(order).to_pylist()
            assert [(r["qid"], r["doc_id"]) for r in got] == [(r["qid"], r["doc_id"]) for r in want]
            for column in (c for c in got[0] if c.endswith("score")):
                want_scores = [r[column] for r in want]
                assert [r[column] for r in got] == pytest.approx(want_scores, abs=1e-5)
        got_metrics = storage.read_json(sharded / "metrics.json")
        want_metrics = storage.read_json(local_dir / "metrics.json")
        got_metrics.pop("run"), want_metrics.pop("run")
        assert_metrics_close(got_metrics, want_metrics)
    for proc in procs:
        assert proc.poll() is not None, f"pid {proc.pid} still running"
