"""Start a stage's shards on a work pool and wait for them: N flow runs of one deployment, as
subflows of the calling flow, that share the stage's batches by claims (tasks.runs.claims).

A shard no worker picks up costs nothing (its peers claim the work); none picked up within
`run.shard_start_timeout_s` fails the stage with the pool's name, since a pool without a live
worker would otherwise keep the run waiting forever.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prefect import get_run_logger
from upath import UPath

from config.settings import Settings
from tasks.errors import NotReadyError
from tasks.runs import claims, storage

# How often the calling flow looks at its shards, and logs the stage's progress.
POLL_S = 2.0
PROGRESS_EVERY_S = 30.0


def stage_parameters(settings: Settings, run_dir: UPath, attempt: int) -> dict[str, Any]:
    """What every shard of a run's stage is given: where the run lives, how to reach it."""
    return {
        "run_dir": str(storage.absolute(run_dir)),
        "attempt": attempt,
        "storage_options": settings.run.storage_options,
    }


def run_shards(
    deployment: str,
    parameters: dict[str, Any],
    workers: int,
    *,
    stage: str,
    run_id: str,
    start_timeout_s: float,
    setting: str,
    progress: Callable[[], tuple[int, int]],
) -> list[str]:
    """Run `workers` flow runs of `deployment` (parameters plus `shard`: 1..workers), each named
    and tagged with its shard; wait until each has ended, logging `progress()` (batches done,
    batches in all). Shards that ended other than Completed (and were not cancelled here for
    want of a worker) come back as `shard N (flow run name) ended State: message` lines.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType
    from prefect.deployments import run_deployment
    from prefect.states import Cancelled

    logger = get_run_logger()
    runs = {
        shard: run_deployment(
            deployment,
            # One flow run claims nothing: it is the only worker (any runs root will do).
            parameters={**parameters, "shard": shard if workers > 1 else None},
            timeout=0,  # started, not awaited: all shards run at once
            flow_run_name=f"{stage}-{run_id}-shard-{shard}-of-{workers}",
            tags=[f"{stage}-shard", f"shard-{shard}"],
        )
        for shard in range(1, workers + 1)
    }
    logger.info(
        "%s stage: %d shards of %s started (%s)",
        stage,
        workers,
        deployment,
        ", ".join(r.name for r in runs.values()),
    )
    started = time.monotonic()
    last_log = started
    cancelled: set[int] = set()
    with get_client(sync_client=True) as client:

        def cancel(shards: list[int], why: str) -> None:
            for s in shards:
                client.set_flow_run_state(runs[s].id, Cancelled(message=why))
                cancelled.add(s)

        while True:
            now = {shard: client.read_flow_run(r.id) for shard, r in runs.items()}
            unpicked = [s for s, r in now.items() if r.state_type == StateType.SCHEDULED]
            live = [s for s, r in now.items() if r.state and not r.state.is_final()]
            if not live:
                break
            if set(live) == set(unpicked):  # nothing runs; shards wait for a worker
                if any(r.state_type == StateType.COMPLETED for r in now.values()):
                    # A shard that completed walked all the work: the others would find none.
                    cancel(unpicked, "not picked up; a peer did the work")
                    logger.info(
                        "%s stage: shards %s not picked up (fewer live workers than shards): "
                        "cancelled, their peers did the work",
                        stage,
                        unpicked,
                    )
                    continue
                if time.monotonic() - started > start_timeout_s:
                    pool = client.read_deployment_by_name(deployment).work_pool_name
                    cancel(unpicked, f"no worker of pool {pool} picked it up")
                    if len(unpicked) == workers:
                        raise NotReadyError(
                            f"{stage} stage: no worker of work pool '{pool}' picked up "
                            f"{deployment} within {start_timeout_s:g} s "
                            f"(run.shard_start_timeout_s): start one (`prefect worker start "
                            f"--pool {pool}`), or unset {setting} to run the stage in this flow"
                        )
                    continue  # the shards that ran failed: reported below
            if time.monotonic() - last_log >= PROGRESS_EVERY_S:
                last_log = time.monotonic()
                done, total = progress()
                logger.info(
                    "%s stage: %d/%d batches done; %s",
                    stage,
                    done,
                    total,
                    ", ".join(f"shard {s} {r.state_name}" for s, r in now.items()),
                )
            time.sleep(POLL_S)
    return [
        f"shard {s} (flow run {r.name}) ended {r.state_name}: {r.state.message if r.state else ''}"
        for s, r in now.items()
        if r.state_type != StateType.COMPLETED and s not in cancelled
    ]


def check_stage(
    stage: str,
    run_id: str,
    failures: list[str],
    undone: list[int],
    n: int,
    unfinished: dict[int, dict[str, Any]],
) -> None:
    """Fail a stage with shards that did not complete or batches left undone (`unfinished`:
    the undone batches' claims, naming the workers that held them)."""
    if not failures and not undone:
        return
    raise RuntimeError(
        f"{stage} stage of run {run_id}: {'; '.join(failures) or 'all shards completed'}; "
        f"{len(undone)} of {n} batches not done"
        + (
            f", claimed by workers that died or failed: {claims.describe(unfinished.items())}"
            if unfinished
            else ""
        )
        + (
            f"; resuming the run (`rerankflow run --resume {run_id}`), or the next FAQ "
            "refresh, does them"
            if undone
            else ""
        )
    )
