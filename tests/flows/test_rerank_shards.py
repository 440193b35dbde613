"""Two rerank-gpu processes share one run's rerank stage by claims: every batch reranked once,
by one of them, into the same rows as one worker's."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from flows.index_corpus import index_corpus
from flows.rerank_batch import rerank_batch
from tasks.retrieve import vectorstore
from tasks.runs import claims, layout, runstore, storage
from tests.helpers import REPO, profile_overrides

pytestmark = pytest.mark.slow

SHARD = (
    "import sys; from flows.rerank_gpu import rerank_gpu; "
    "rerank_gpu(run_dir=sys.argv[1], attempt=2, shard=int(sys.argv[2]))"
)


def _rows(run_dir, name: str) -> list[dict]:
    rows = storage.read_parquet(run_dir / f"{name}.parquet").to_pylist()
    return sorted(rows, key=lambda r: (r["qid"], r.get("rank") or r["retrieval_rank"]))


def test_two_processes_rerank_each_batch_once(prefect_server, tmp_path, tiny_cross_encoder):
    from prefect.settings import PREFECT_API_URL

    overrides = profile_overrides(
        tmp_path,
        **{
            "reranker.backend": "cross-encoder",
            "reranker.model": str(tiny_cross_encoder),
            "run.query_batch_size": 4,
        },
    )
    index_corpus(profile="demo", overrides=overrides)
    one = rerank_batch(profile="demo", overrides=overrides)
    vectorstore.close_clients()
    run_dir = storage.location(one["run_dir"])
    n = one["manifest"]["counts"]["batches"]
    want = {name: _rows(run_dir, name) for name in ("candidates", "reranked")}
    # Back to the hand-off: the manifest and the hits parts, as the retrieval stage left them.
    for path in (run_dir / layout.PARTS).glob("batch-*"):
        if not path.name.endswith(".hits.parquet"):
            path.unlink()
    for name in ("candidates", "reranked", "failed", "calls"):
        (run_dir / f"{name}.parquet").unlink()

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    shards = [
        subprocess.Popen(
            [sys.executable, "-c", SHARD, str(run_dir), str(shard)],
            cwd=REPO,
            # Two device slots on this host (as two GPUs would be), so they run side by side.
            env={**env, "RERANKFLOW_DEVICE": f"cpu:{shard}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for shard in (1, 2)
    ]
    for proc in shards:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out[-3000:]

    taken = claims.claims(run_dir, "rerank", 2)
    assert sorted(taken) == list(range(n))  # every batch claimed once
    by_shard = Counter(r["shard"] for r in taken.values())
    assert set(by_shard) <= {1, 2} and sum(by_shard.values()) == n
    assert {r["pid"] for r in taken.values()} <= {p.pid for p in shards}
    # One call-log part per batch: no batch was reranked twice.
    calls = Counter(p.name.split(".")[0] for p in layout.calls_parts(run_dir))
    assert calls == {f"batch-{b:05d}": 1 for b in range(n)}

    runstore.merge_parts(run_dir, n, {"run_id": one["run_id"]})
    for name, rows in want.items():
        got = _rows(run_dir, name)
        assert [(r["qid"], r["doc_id"]) for r in got] == [(r["qid"], r["doc_id"]) for r in rows]
        for column in (c for c in rows[0] if c.endswith("score")):
            assert [r[column] for r in got] == pytest.approx([r[column] for r in rows], abs=1e-5)
