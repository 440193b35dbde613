"""Thin Prefect task wrappers over the plain functions; tasks pass paths and small values.

The GPU worker (flows/rerank_gpu.py) imports this module too, and it runs without a vector
store client: the wrappers of the Qdrant-side work (indexing, retrieval) import it when they
run, not here (a test checks that importing this module loads no qdrant_client).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from upath import UPath

from config.settings import Settings
from tasks.calls.journal import CallJournal
from tasks.errors import UserError
from tasks.evaluate import metrics, regression
from tasks.rerank.batch import rerank
from tasks.runs import layout, runstore
from tasks.types import Qrels, Query


def retry_unless_user_error(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's retry_condition_fn: a user's mistake (a refused or missing key, bad input)
    fails the same way every time, so it is not retried."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception:  # noqa: BLE001 - the result could not be read: keep the retry policy
        return True
    return not isinstance(exc, UserError)


@task(name="index-corpus", cache_policy=NO_CACHE)
def index_corpus(settings: Settings) -> dict[str, Any]:
    from tasks.index import indexing  # Qdrant side: see the module docstring

    return indexing.index_corpus(settings)


@task(
    name="retrieve-query-batch",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=[5],
    retry_condition_fn=retry_unless_user_error,
)
def retrieve_batch(settings: Settings, run_dir: UPath, batch: int, queries: list[Query]) -> int:
    """Embed and retrieve one batch; its hits part is the hand-off to the rerank stage. A paid
    embedder's calls go in the batch's journal (the one its rerank calls join), so a retrieval
    that died is on the call log too."""
    from tasks.retrieve.batch import retrieve  # Qdrant side: see the module docstring

    journal = CallJournal(layout.journal_dir(run_dir, batch), layout.run_id_of(run_dir), batch)
    try:
        hits, seconds = retrieve(settings, queries, journal)
    finally:
        runstore.write_unjournaled(run_dir, batch, journal)
    runstore.write_hits(run_dir, batch, queries, hits, seconds)
    return len(queries)


@task(
    name="rerank-query-batch",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=[5],
    retry_condition_fn=retry_unless_user_error,
)
def rerank_batch_part(
    settings: Settings,
    run_dir: UPath,
    run_id: str,
    batch: int,
    attempt: int,
    retry_qids: Collection[str] | None = None,
) -> dict[str, Any]:
    """Rerank one retrieved batch (or, on resume, just its failed queries); parts land
    atomically, so a task retry or a resume is safe. Paid calls are journaled as they return,
    so one that died is neither lost from the call log nor bought again."""
    queries, hits, seconds = runstore.read_hits(run_dir, batch, only=retry_qids)
    if retry_qids is not None:
        seconds = {}  # a retry does not retrieve again: its stats add rerank time only
    journal = CallJournal(layout.journal_dir(run_dir, batch), run_id, batch)
    tables, stats, fatal = rerank(settings, queries, hits, run_id, batch, seconds, journal)
    # When these rows were computed (the FAQ table's created_at for the batch's questions).
    stats.update(batch=batch, reranked_at=datetime.now(UTC).isoformat())
    write = runstore.write_batch if retry_qids is None else runstore.write_retry
    write(run_dir, batch, tables, stats, attempt)
    journal.compact()
    if fatal is not None:
        raise fatal  # after the batch landed: what was bought is written, the rest failed
    return stats


@task(name="merge-parts", cache_policy=NO_CACHE)
def merge_parts(run_dir: UPath, n_batches: int, labels: dict[str, str]) -> dict[str, int]:
    return runstore.merge_parts(run_dir, n_batches, labels)


@task(name="evaluate-run", cache_policy=NO_CACHE)
def evaluate(run_dir: UPath, qrels: Qrels, settings: Settings) -> dict[str, Any]:
    # The settings are the run's manifest config: its group_key says which unit labels name.
    return metrics.evaluate_run(
        run_dir,
        qrels,
        fetch_k=settings.run.fetch_k,
        top_k=settings.run.top_k,
        ks=settings.run.ks,
        group_key=settings.qdrant.group_key,
        labels_name=str(settings.dataset.labels),
        # The run checked its labels against the corpus or collection before it started: a
        # label no query retrieved is a real miss here, not a sign of the wrong unit.
        refuse_unmatched=False,
    )


@task(name="compare-with-baseline", cache_policy=NO_CACHE)
def judge(
    baseline: regression.Baseline, run_dir: UPath, qrels: Qrels, settings: Settings
) -> regression.Verdict:
    return regression.judge(
        baseline,
        run_dir,
        qrels,
        settings.regression,
        labels_name=str(settings.dataset.labels),
        refuse_unmatched=False,  # checked against the corpus or collection before the run
    )


@task(name="plot-run", cache_policy=NO_CACHE)
def write_plots(
    run_dir: UPath, qrels: Qrels, results: dict[str, Any], settings: Settings
) -> dict[str, UPath]:
    return regression.write_plots(run_dir, qrels, results, settings)
