"""Claims hand each batch to exactly one of many racing workers, on disk and on S3, and a
resumed attempt claims afresh whatever a dead worker left."""

from __future__ import annotations

import random
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context

import pytest

from tasks.runs import claims, storage
from tasks.runs.layout import claims_dir

BATCHES = 40


def _claim_all(run_dir: str, options: dict, worker: int) -> list[int]:
    """One worker walking every batch in its own order; the batches it won."""
    path = storage.location(run_dir, options)
    order = list(range(BATCHES))
    random.Random(worker).shuffle(order)
    me = {"shard": worker, "host": "test", "pid": worker, "flow_run_id": None}
    return [b for b in order if claims.claim(path, "rerank", 1, b, me)]


def _assert_exactly_once(won: list[list[int]], path) -> None:
    every = [b for w in won for b in w]
    assert sorted(every) == list(range(BATCHES))  # each batch once: none lost, none twice
    assert sum(1 for w in won if w) >= 2, "one worker won everything: no race was tested"
    recorded = claims.claims(path, "rerank", 1)
    assert {b: r["shard"] for b, r in recorded.items()} == {
        b: w for w, mine in enumerate(won) for b in mine
    }


def test_processes_claim_each_batch_once_on_disk(tmp_path):
    run_dir = str(tmp_path / "run")
    with ProcessPoolExecutor(4, mp_context=get_context("fork")) as pool:
        won = list(pool.map(_claim_all, [run_dir] * 4, [{}] * 4, range(4)))
    _assert_exactly_once(won, storage.location(run_dir))
    # No temporaries left beside the claims.
    assert len(list(claims_dir(run_dir, 1).iterdir())) == BATCHES


def test_threads_claim_each_batch_once_on_s3(s3_runs):
    url, options = s3_runs
    run_dir = f"{url}/run"
    with ThreadPoolExecutor(4) as pool:
        won = list(pool.map(_claim_all, [run_dir] * 4, [options] * 4, range(4)))
    _assert_exactly_once(won, storage.location(run_dir, options))


def test_a_claim_is_whole_and_never_overwritten(tmp_path, s3_runs):
    url, options = s3_runs
    for run_dir in (storage.location(tmp_path / "run"), storage.location(f"{url}/r2", options)):
        first = {"shard": 1, "host": "h1", "pid": 11, "flow_run_id": "f1"}
        second = {"shard": 2, "host": "h2", "pid": 22, "flow_run_id": "f2"}
        assert claims.claim(run_dir, "hits", 3, 7, first)
        assert not claims.claim(run_dir, "hits", 3, 7, second)
        record = claims.claims(run_dir, "hits", 3)[7]
        assert (record["host"], record["pid"], record["attempt"]) == ("h1", 11, 3)
        # Stages and attempts are separate claims.
        assert claims.claim(run_dir, "rerank", 3, 7, second)
        assert claims.claim(run_dir, "hits", 4, 7, second)


@pytest.mark.parametrize("where", ["disk", "s3"])
def test_stale_claims_are_reported_and_a_resume_claims_afresh(tmp_path, s3_runs, where):
    url, options = s3_runs
    run_dir = (
        storage.location(tmp_path / "run")
        if where == "disk"
        else storage.location(f"{url}/run", options)
    )
    dead = {"shard": 2, "host": "h", "pid": 99, "flow_run_id": "f"}
    for b in (0, 1, 2):
        assert claims.claim(run_dir, "rerank", 1, b, dead)
    done = {0, 2}  # batch 1's worker died before its parts landed
    left = claims.unfinished(run_dir, "rerank", 1, done.__contains__)
    assert list(left) == [1]
    assert "batch 1 (shard 2" in claims.describe(left.items()) and "pid 99" in claims.describe(
        left.items()
    )
    # The resume is attempt 2: the old claims are cleared and do not block it.
    assert claims.clear_other_attempts(run_dir, 2) == [1]
    assert claims.claims(run_dir, "rerank", 1) == {}
    assert claims.claim(run_dir, "rerank", 2, 1, {"shard": 1})
    assert claims.clear_other_attempts(run_dir, 2) == []
