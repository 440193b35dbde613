"""Run files on disk vs on an S3 endpoint: write, read and metrics time as ratios.

The S3 endpoint is moto's server on 127.0.0.1 (what the tests use; no S3 is reachable here), in
this process's threads, so the S3 column is the cost of the client path (s3fs, one upload per
file, DuckDB reading through fsspec) plus moto's own, not a real store's latency or bandwidth.
Median of 3 of each, alternating.

    .venv/bin/python benchmarks/storage_speed.py [--queries N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics_speed import KS, synthetic  # noqa: E402

from tasks import evaluate  # noqa: E402
from tasks.runs import storage  # noqa: E402


def median_seconds(fn: Callable[[], object], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def duckdb_metrics(path, qrels) -> None:
    con = storage.connect_duckdb(path)
    try:
        evaluate.register_qrels(con, qrels)
        evaluate.ranking_metrics(con, evaluate.parquet_relation(path, "retrieval_score"), KS)
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--depth", type=int, default=50)
    args = parser.parse_args()

    from moto.server import ThreadedMotoServer

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        remote_root = storage.location("s3://bench/runs", {"endpoint_url": f"http://{host}:{port}"})
        remote_root.fs.mkdir("bench")
        local_root = storage.location(tempfile.mkdtemp())
        table, _, qrels = synthetic(args.queries, args.depth)
        local, remote = local_root / "candidates.parquet", remote_root / "candidates.parquet"
        storage.write_parquet(table, local)
        size = local.stat().st_size
        print(
            f"{args.queries:,} queries x {args.depth}: {table.num_rows:,} rows, "
            f"{size / 2**20:.1f} MiB Parquet"
        )
        rows = []
        for name, fn in (
            ("write_parquet", lambda p: storage.write_parquet(table, p)),
            ("read_parquet", storage.read_parquet),
            ("metrics (DuckDB)", lambda p: duckdb_metrics(p, qrels)),
        ):
            disk = median_seconds(lambda fn=fn: fn(local))
            s3 = median_seconds(lambda fn=fn: fn(remote))
            rows.append((name, disk, s3))
        print(f"{'operation':<18} {'disk s':>8} {'S3 s':>8} {'S3/disk':>8}")
        for name, disk, s3 in rows:
            print(f"{name:<18} {disk:8.3f} {s3:8.3f} {s3 / disk:7.2f}x")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
