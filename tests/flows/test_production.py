"""The production topology end to end: a real `prefect server start`, `cpu` and `gpu` pools with
a process worker each, `prefect deploy --all`, and a nightly run and an FAQ refresh whose rerank
stages are handed to the gpu pool. The workers share nothing but the Prefect server and the runs
root, which is an S3 bucket (moto's S3-compatible server on 127.0.0.1, through s3fs). Every
process started here is stopped by pid."""

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

from tasks.runs import storage
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


def run_deployment(api: str, name: str, params: dict, env: dict, logs: Path) -> dict:
    """Trigger a deployment from the CLI and wait for its flow run to end; the run's JSON."""
    out = check([*PREFECT, "deployment", "run", name, "--params", json.dumps(params)], env)
    [run_id] = re.findall(r"UUID: ([0-9a-f-]{36})", out)
    deadline = time.monotonic() + 480
    while time.monotonic() < deadline:
        run = httpx.get(f"{api}/flow_runs/{run_id}").json()
        if run["state_type"] in TERMINAL:
            break
        time.sleep(2)
    worker_logs = "\n".join(p.read_text()[-2500:] for p in sorted(logs.glob("worker-*")))
    assert run["state_type"] == "COMPLETED", worker_logs
    return run


def test_nightly_hands_rerank_to_the_gpu_pool(tmp_path, tiny_cross_encoder, s3_runs):
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
        for pool in ("cpu", "gpu"):
            spawn(
                procs,
                [*PREFECT, "worker", "start", "--pool", pool, "--type", "process"],
                env,
                logs / f"worker-{pool}.log",
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

        # Each rerank stage was its own flow run, from the rerank-gpu deployment, on the gpu
        # pool, a subflow of its caller (the nightly's rerank_batch subflow; the FAQ refresh).
        runs = flow_runs(api)
        stages = [r for r in runs if "run_dir" in r["parameters"]]
        assert len(stages) == 2, [r["name"] for r in runs]
        for stage in stages:
            assert stage["work_pool_name"] == "gpu" and stage["state_type"] == "COMPLETED"
            assert stage["parent_task_run_id"] is not None
            assert stage["parameters"]["storage_options"] == options
            assert stage["parameters"]["run_dir"].startswith(url + "/run_date=")
        assert nightly["work_pool_name"] == faq_run["work_pool_name"] == "cpu"
        task_runs = httpx.post(f"{api}/task_runs/filter", json={"limit": 200}).json()
        parent_flow = {t["id"]: t["flow_run_id"] for t in task_runs}
        callers = {parent_flow[s["parent_task_run_id"]] for s in stages}
        assert faq_run["id"] in callers and len(callers) == 2
        # The device limit the stage held exists, with one slot.
        limits = httpx.post(f"{api}/v2/concurrency_limits/filter", json={}).json()
        device = [g for g in limits if g["name"].startswith("rerank-device-")]
        assert [g["limit"] for g in device] == [1], limits

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

    # Nothing was written to the workers' disks: the hand-off was the bucket.
    assert not (tmp_path / "runs").exists()
    faq_table = pq.read_table((tmp_path / "faq" / "faq.parquet").open("rb"))
    assert faq_table.num_rows == 61 * 10

    # Parquet and metrics match an in-process run of the same input, on a local runs root.
    stage_dirs = [storage.location(s["parameters"]["run_dir"], options) for s in stages]
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
    for name, rank in (("candidates", "retrieval_rank"), ("reranked", "rank")):
        order = [("qid", "ascending"), (rank, "ascending")]
        got = storage.read_parquet(run_dir / f"{name}.parquet").sort_by(order).to_pylist()
        want = pq.read_table(local_dir / f"{name}.parquet").sort_by(order).to_pylist()
        assert [r["doc_id"] for r in got] == [r["doc_id"] for r in want]
        for column in (c for c in got[0] if c.endswith("score")):
            assert [r[column] for r in got] == pytest.approx([r[column] for r in want], abs=1e-5)
    got_metrics = storage.read_json(run_dir / "metrics.json")
    want_metrics = storage.read_json(local_dir / "metrics.json")
    got_metrics.pop("run"), want_metrics.pop("run")
    assert_metrics_close(got_metrics, want_metrics)
    for proc in procs:
        assert proc.poll() is not None, f"pid {proc.pid} still running"
