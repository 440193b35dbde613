"""Shards share a run's stages by claims: two retrieve-cpu flows (in one process: the embedded
Qdrant store admits one) and two rerank-gpu processes; every batch retrieved and reranked once,
by one of them, into the same rows as one worker's."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from flows.rerank_batch import rerank_batch
from flows.retrieve_cpu import retrieve_cpu
from tasks.retrieve import vectorstore
from tasks.runs import claims, layout, runstore, storage
from tests.helpers import REPO, profile_overrides, use_sample_index

pytestmark = pytest.mark.slow

SHARD = (
    "import sys; from flows.rerank_gpu import rerank_gpu; "
    "rerank_gpu(run_dir=sys.argv[1], attempt=2, shard=int(sys.argv[2]))"
)


def _rows(run_dir, name: str) -> dict[tuple[str, str], dict]:
    """(qid, doc_id) -> row; a row twice would shrink the dict below the table's length."""
    rows = storage.read_parquet(run_dir / f"{name}.parquet").to_pylist()
    keyed = {(r["qid"], r["doc_id"]): r for r in rows}
    assert len(keyed) == len(rows)
    return keyed


def test_two_processes_rerank_each_batch_once(sample_index, tmp_path, tiny_cross_encoder):
    from prefect.settings import PREFECT_API_URL

    overrides = profile_overrides(
        use_sample_index(sample_index[0], tmp_path),
        **{
            "reranker.backend": "cross-encoder",
            "reranker.model": str(tiny_cross_encoder),
            "run.query_batch_size": 4,
        },
    )
    one = rerank_batch(profile="demo", overrides=overrides)
    vectorstore.close_clients()
    run_dir = storage.location(one["run_dir"])
    n = one["manifest"]["counts"]["batches"]
    want = {name: _rows(run_dir, name) for name in ("candidates", "reranked")}
    hits = {b: runstore.read_hits(run_dir, b)[:2] for b in range(n)}
    # Back to the start: the manifest, and the queries for the retrieval workers.
    for path in (run_dir / layout.PARTS).glob("batch-*"):
        path.unlink()
    for name in ("candidates", "reranked", "failed", "calls"):
        (run_dir / f"{name}.parquet").unlink()
    runstore.write_queries(run_dir, [hits[b][0] for b in range(n)])

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda s: retrieve_cpu(str(run_dir), attempt=2, shard=s), (1, 2)))
    retrieved = claims.claims(run_dir, "hits", 2)
    assert sorted(retrieved) == list(range(n))
    for b, (queries, want_hits) in hits.items():
        got_queries, got_hits, _ = runstore.read_hits(run_dir, b)
        assert got_queries == queries
        assert [[h.doc_id for h in q] for q in got_hits] == [
            [h.doc_id for h in q] for q in want_hits
        ]
    vectorstore.close_clients()

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
    # The same rows; scores equal up to float noise between processes (near-ties may swap
    # ranks, so rows are matched by query and document).
    for name, rows in want.items():
        got = _rows(run_dir, name)
        assert got.keys() == rows.keys()
        columns = [c for c in next(iter(rows.values())) if c.endswith("score")]
        for column in columns:
            assert [got[k][column] for k in rows] == pytest.approx(
                [rows[k][column] for k in rows], abs=1e-5
            )


def test_a_stage_no_worker_picks_up_fails_naming_the_pool(prefect_server):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.client.schemas.objects import StateType

    from flows.rerank_gpu import rerank_gpu
    from flows.shards import run_shards
    from tasks.errors import NotReadyError

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="idle-gpu", type="process"))
        flow_id = client.create_flow(rerank_gpu)
        client.create_deployment(flow_id, "idle", work_pool_name="idle-gpu")

    @flow
    def caller() -> list[str]:
        return run_shards(
            "rerank-gpu/idle",
            {"run_dir": "/nowhere", "attempt": 1, "storage_options": {}},
            2,
            stage="rerank",
            run_id="r1",
            start_timeout_s=3,
            setting="run.rerank_deployment",
            progress=lambda: (0, 1),
        )

    with pytest.raises(NotReadyError) as raised:
        caller()
    message = str(raised.value)
    assert "work pool 'idle-gpu'" in message and "prefect worker start --pool idle-gpu" in message
    assert "\n" not in message
    with get_client(sync_client=True) as client:
        runs = [r for r in client.read_flow_runs() if r.name.startswith("rerank-r1-shard-")]
    assert sorted(r.name for r in runs) == ["rerank-r1-shard-1-of-2", "rerank-r1-shard-2-of-2"]
    assert {r.state_type for r in runs} == {StateType.CANCELLED}  # not left for a late worker
