"""The device a local reranker runs on, and the Prefect concurrency limit that guards it."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from config.settings import RerankerSettings
from tasks.calls.ratelimit import prefect_server_configured
from tasks.rerank.registry import MODEL_BACKENDS


def resolve_device(requested: str | None) -> str:
    """The configured device, else the first GPU when one is visible, else the CPU."""
    if requested:
        return requested
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


def device_limit_name(device: str, host: str | None = None) -> str:
    """One limit per device per host: `rerank-device-gpu-host-1-cuda-0`."""
    raw = f"rerank-device-{host or socket.gethostname()}-{device}"
    return re.sub(r"[^A-Za-z0-9_-]+", "-", raw).lower()


def ensure_device_limit(name: str) -> None:
    """A limit of one: two flow runs never share a device."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            found = client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            # Another worker on this host may create it first: that one is as good.
            with suppress(ObjectAlreadyExists):
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=1, active=True)
                )
            return
    if found.limit != 1 or not found.active:
        # A widened or inactive limit would let two runs share the device, silently.
        raise ValueError(
            f"Prefect concurrency limit '{name}' has limit={found.limit}, "
            f"active={found.active}; a device needs limit=1, active: "
            f"`prefect gcl update {name} --limit 1 --enable` or delete it"
        )


# Seconds a dead worker's device stays held (see device_slot).
DEVICE_LEASE_S = 60.0


@contextmanager
def device_slot(settings: RerankerSettings) -> Iterator[str | None]:
    """Hold this host's device for the rerank stage; yields the limit's name (None: no limit,
    because the backend holds no model or no Prefect server is configured)."""
    if settings.backend not in MODEL_BACKENDS or not prefect_server_configured():
        yield None
        return
    from prefect.concurrency.sync import concurrency

    name = device_limit_name(resolve_device(settings.device))
    ensure_device_limit(name)
    # strict: a limit deleted under the run is an error; a short server outage while renewing
    # the lease is not worth killing a long GPU stage for. The lease is renewed while the stage
    # runs; a worker killed outright frees its device when the lease runs out (Prefect's
    # default, 300 s, would keep a resumed run's shard on that device waiting that long).
    with concurrency(
        name,
        occupy=1,
        strict=True,
        raise_on_lease_renewal_failure=False,
        lease_duration=DEVICE_LEASE_S,
    ):
        yield name
