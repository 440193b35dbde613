"""Rerank stage scaling: one run's rerank stage on 1 and on 2 worker processes.

The run is prepared once (the sample corpus indexed, `--queries` queries retrieved, top 50 each,
by `rerank_batch` with the `flag` backend on the tiny cross-encoder the tests build). Then its
rerank stage is undone (every part but the hits and queries) and redone by N processes that
each run the `rerank-gpu` flow on the same run directory, as N workers of the `gpu` pool do:
they share its batches by claims (tasks.runs.claims), one torch thread each, each holding its
own device slot (`RERANKFLOW_DEVICE=cpu:<shard>`), all recording on one local Prefect server.
1- and N-worker stages alternate, `--repeats` times each.

Printed: each stage's wall time (first process started to last one ended), the speedup and
parallel efficiency (speedup / N) from the medians with the spread over the repeats, the share
of the stage a worker spent starting up (process start to its first claim: imports, flow run,
model load), and the orchestration overhead per batch: a worker's time from its first claim to
its end less the seconds its batches spent scoring (the batch stats' `rerank`), per batch, i.e.
claiming, reading the hits part, writing four parts, the Prefect task run and the flow's end.

    .venv/bin/python benchmarks/rerank_scaling.py [--queries 6000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# One worker of the gpu pool: the rerank-gpu flow on the run, one torch thread; it prints when it
# started and ended (epoch seconds) for the parent to read.
WORKER = """
import json, sys, time
started = time.time()
import torch
torch.set_num_threads(1)
from flows.rerank_gpu import rerank_gpu
out = rerank_gpu(run_dir=sys.argv[1], attempt=int(sys.argv[2]), shard=int(sys.argv[3]))
print(json.dumps({"started": started, "ended": time.time(), "batches": len(out["batches"])}))
"""


def spread(values: list[float], fmt: str = ".2f") -> str:
    """`median (min-max)` of the repeats."""
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def write_queries(path: Path, n: int) -> None:
    """`n` queries cycling through the sample's 53, each with its own id (and its own text, so
    no two pairs are alike); the sample's top 50 documents each."""
    sample = [json.loads(line) for line in (REPO / "data/sample/labels.jsonl").open()]
    with path.open("w") as out:
        for i in range(n):
            query = sample[i % len(sample)]["query"]
            out.write(json.dumps({"_id": f"b{i:06d}", "text": f"{query} ({i})"}) + "\n")


def undo_rerank_stage(run_dir: Path) -> None:
    """Back to retrieval done: only the hits and queries parts stay (claims, parts, call logs,
    journals of the rerank stage go)."""
    for entry in (run_dir / "_parts").iterdir():
        if entry.name.endswith(".hits.parquet") or entry.name == "queries.parquet":
            continue
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def run_stage(run_dir: Path, attempt: int, workers: int, api_url: str) -> dict:
    """The rerank stage on `workers` processes; timings read from them and from the run."""
    from tasks.runs import claims, runstore
    from tasks.runs.layout import part_path

    env = {
        **os.environ,
        "PREFECT_API_URL": api_url,
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONPATH": str(REPO),
    }
    t0 = time.time()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(run_dir), str(attempt), str(shard)],
            cwd=REPO,
            env={**env, "RERANKFLOW_DEVICE": f"cpu:{shard}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for shard in range(1, workers + 1)
    ]
    ends = []
    for proc in procs:
        out, err = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            sys.exit(f"a worker failed ({proc.returncode}):\n{err[-3000:]}")
        ends.append(json.loads(out.strip().splitlines()[-1]))
    wall = max(e["ended"] for e in ends) - t0

    taken = claims.claims(run_dir, "rerank", attempt)
    n = len(list((run_dir / "_parts").glob("batch-*.hits.parquet")))
    if sorted(taken) != list(range(n)) or not all(runstore.batch_done(run_dir, b) for b in taken):
        sys.exit(f"attempt {attempt}: batches claimed {sorted(taken)}, expected each of {n} once")
    per_worker = []
    for shard, end in enumerate(ends, start=1):
        mine = [b for b, rec in taken.items() if rec["shard"] == shard]
        if not mine:
            continue
        first = min(epoch(taken[b]["claimed_at"]) for b in mine)
        scoring = sum(
            json.loads(part_path(run_dir, b, "stats").read_text())["seconds"]["rerank"]
            for b in mine
        )
        per_worker.append(
            {
                "batches": len(mine),
                "startup": first - t0,
                "overhead_per_batch": (end["ended"] - first - scoring) / len(mine),
                "scoring_per_batch": scoring / len(mine),
            }
        )
    return {"wall": wall, "workers": per_worker}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=6000)
    parser.add_argument("--query-batch-size", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    from flows.index_corpus import index_corpus
    from flows.rerank_batch import rerank_batch
    from tasks.retrieve import vectorstore
    from tests.helpers import SAMPLE, build_tiny_cross_encoder

    tmp = Path(tempfile.mkdtemp(prefix="rerankflow-scaling-"))
    write_queries(tmp / "queries.jsonl", args.queries)
    overrides = {
        "qdrant.path": str(tmp / "qdrant"),
        "index_dir": str(tmp / "index"),
        "run.runs_root": str(tmp / "runs"),
        "dataset.corpus": str(SAMPLE / "corpus.jsonl"),
        "dataset.queries": str(tmp / "queries.jsonl"),
        "dataset.labels": None,
        "reranker.backend": "flag",
        "reranker.model": str(build_tiny_cross_encoder(tmp / "tiny-cross-encoder")),
        "reranker.device": "cpu",
        "reranker.cache": False,  # every pair is scored, every time
        "run.query_batch_size": args.query_batch_size,
    }
    load_before = os.getloadavg()
    results: dict[int, list[dict]] = {1: [], args.workers: []}
    with prefect_test_harness(server_startup_timeout=120):
        api_url = PREFECT_API_URL.value()
        index_corpus(profile="demo", overrides=overrides)
        t0 = time.perf_counter()
        prepared = rerank_batch(profile="demo", overrides=overrides)  # retrieval, once
        prepare_s = time.perf_counter() - t0
        vectorstore.close_clients()
        run_dir = Path(prepared["run_dir"])
        counts = prepared["manifest"]["counts"]
        attempt = 1
        for r in range(args.repeats):
            order = (1, args.workers) if r % 2 == 0 else (args.workers, 1)
            for workers in order:
                attempt += 1
                undo_rerank_stage(run_dir)
                result = run_stage(run_dir, attempt, workers, api_url)
                results[workers].append(result)
                print(
                    f"repeat {r + 1}, {workers} worker(s): {result['wall']:.1f} s, batches "
                    f"{[w['batches'] for w in result['workers']]}",
                    flush=True,
                )
    load_after = os.getloadavg()
    shutil.rmtree(tmp, ignore_errors=True)

    pairs = args.queries * prepared["manifest"]["config"]["run"]["fetch_k"]
    one = [r["wall"] for r in results[1]]
    many = [r["wall"] for r in results[args.workers]]
    # Speedup per repeat pairs the runs that were timed next to each other.
    speedups = [a / b for a, b in zip(one, many, strict=True)]
    n = args.workers
    print(
        f"\n{args.queries} queries x top {pairs // args.queries} = {pairs:,} pairs in "
        f"{counts['batches']} batches of {args.query_batch_size} queries; tiny cross-encoder "
        f"(flag backend), one torch thread a worker, {os.cpu_count()} CPUs; "
        f"{args.repeats} repeats interleaved, median (min-max)"
    )
    print(
        f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}; "
        f"preparing the run (index, retrieval, one in-process stage): {prepare_s:.0f} s"
    )
    print(f"1 worker:  {spread(one, '.1f')} s, {spread([pairs / t for t in one], '.0f')} pairs/s")
    print(
        f"{n} workers: {spread(many, '.1f')} s, {spread([pairs / t for t in many], '.0f')} pairs/s"
    )
    print(f"speedup {spread(speedups)}x, parallel efficiency {spread([s / n for s in speedups])}")
    for k, runs in results.items():
        workers = [w for r in runs for w in r["workers"]]
        startup_share = [max(w["startup"] for w in r["workers"]) / r["wall"] for r in runs]
        print(
            f"{k} worker(s): start-up {spread([w['startup'] for w in workers], '.1f')} s "
            f"= {spread([100 * s for s in startup_share], '.1f')}% of the stage; per batch: "
            f"scoring {spread([w['scoring_per_batch'] for w in workers])} s, orchestration "
            f"{spread([w['overhead_per_batch'] for w in workers])} s"
        )


if __name__ == "__main__":
    main()
