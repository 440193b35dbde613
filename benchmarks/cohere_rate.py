"""Achieved Cohere request rate vs the configured budget, against the test server.

The Cohere-compatible test server runs as a separate process on 127.0.0.1 with a fixed
latency and a real sliding-window limit of R requests per window for the key. The cohere
backend reranks a few hundred queries with its budget set to the same R, and the script
prints the achieved rate as a ratio of R, with the 429s the server sent and the queries that
failed. The client paces requests evenly, so the achieved rate is (requests - 1) / (time from
the first request to the last); the overall rate also charges start-up and the last response.

    .venv/bin/python benchmarks/cohere_rate.py [--rpm 100] [--window 12] [--queries 500]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
KEY = "benchmark-key"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rpm", type=int, default=100, help="requests allowed per window (R)")
    parser.add_argument("--window", type=float, default=12.0, help="window seconds")
    parser.add_argument("--latency", type=float, default=0.05, help="server latency, seconds")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--in-flight", type=int, default=4)
    args = parser.parse_args()

    from config.settings import CohereSettings
    from tasks.rerank.cohere import CohereReranker
    from tasks.types import Hit

    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.helpers.cohere_server",
            "--port",
            "0",
            "--key",
            KEY,
            "--rpm",
            str(args.rpm),
            "--window",
            str(args.window),
            "--latency",
            str(args.latency),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        os.environ["CO_API_KEY"] = KEY
        settings = CohereSettings(
            base_url=url,
            requests_per_minute=args.rpm,
            rate_window_s=args.window,
            max_in_flight=args.in_flight,
            global_limit=None,
            max_retry_seconds=600,
        )
        backend = CohereReranker("rerank-v3.5", settings, cache=None)
        hits = [Hit(f"d{i}", f"document {i} about topic {i % 7}", 0.0) for i in range(50)]
        n = args.queries
        t0 = time.perf_counter()
        result = backend.rerank(
            [f"q{i}" for i in range(n)], [f"topic {i % 7} query {i}" for i in range(n)], [hits] * n
        )
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)

    sent = sorted(c["started_at"].timestamp() for c in result.calls)
    rate_limited = sum(c["http_status"] == 429 for c in result.calls)
    ok = sum(c["http_status"] == 200 for c in result.calls)
    steady = (len(sent) - 1) / (sent[-1] - sent[0]) * args.window
    overall = len(sent) / wall * args.window
    print(
        f"budget R = {args.rpm} requests per {args.window:g} s "
        f"({args.rpm * 60 / args.window:.0f}/min), server latency {args.latency * 1000:.0f} ms, "
        f"{args.in_flight} in flight"
    )
    print(
        f"{n} queries, {len(sent)} requests ({ok} answered 200, {rate_limited} answered 429), "
        f"{len(result.failures)} failed queries, wall {wall:.1f} s"
    )
    print(
        f"achieved rate, first to last request: {steady:.2f} per window = "
        f"{steady / args.rpm:.3f} x R"
    )
    print(f"overall rate, wall clock of the whole rerank call: {overall / args.rpm:.3f} x R")


if __name__ == "__main__":
    main()
