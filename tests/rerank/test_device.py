"""The per-device concurrency limit on a real Prefect server: two rerank stages on one device
take turns, a widened limit is refused, and model-free backends take no slot."""

from __future__ import annotations

import threading
import time

import pytest

from config.settings import RerankerSettings
from tasks.rerank.device import device_limit_name, device_slot

pytestmark = pytest.mark.slow


def _limit(name: str) -> dict | None:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            return client.read_global_concurrency_limit_by_name(name).model_dump()
        except ObjectNotFound:
            return None


def test_two_stages_on_one_device_take_turns(prefect_server):
    # A device name of its own, so no other test's slot interferes.
    settings = RerankerSettings(backend="cross-encoder", model="m", device="cuda:7")
    held: list[tuple[float, float]] = []
    errors: list[BaseException] = []

    def stage() -> None:
        try:
            with device_slot(settings) as name:
                start = time.monotonic()
                time.sleep(1.5)  # "reranking"
                held.append((start, time.monotonic()))
                assert name == device_limit_name("cuda:7")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=stage) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:1]
    (a_start, a_end), (b_start, b_end) = sorted(held)
    assert b_start >= a_end, f"the device was shared: {held}"
    limit = _limit(device_limit_name("cuda:7"))
    assert limit is not None and limit["limit"] == 1 and limit["active_slots"] == 0


def test_a_widened_device_limit_is_refused(prefect_server):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    name = device_limit_name("cuda:6")
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=name, limit=2, active=True)
        )
    settings = RerankerSettings(backend="flag", model="m", device="cuda:6")
    with pytest.raises(ValueError, match="limit=2"), device_slot(settings):
        pass


def test_model_free_backends_take_no_slot(prefect_server):
    with device_slot(RerankerSettings(backend="bm25", device="cuda:5")) as name:
        assert name is None
    assert _limit(device_limit_name("cuda:5")) is None
