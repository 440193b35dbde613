"""Progress lines: done/total, rate, ETA, at a pace a person can read (every 10% or 30 s)."""

from __future__ import annotations

import logging

import pytest

from tasks.report.progress import Progress, duration


class Clock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _capture(caplog) -> None:
    caplog.set_level(logging.INFO, logger="rerankflow.test-progress")


def test_a_line_every_tenth_with_rate_and_eta(caplog) -> None:
    clock = Clock()
    progress = Progress("indexing", 100, "documents", _logger(), clock=clock)
    for _ in range(20):  # 5 documents a second, 20 steps
        clock.now += 1
        progress.advance(5)
    assert len(caplog.messages) == 10  # at 10, 20, ... 100: not one per step
    assert caplog.messages[0] == "indexing: 10/100 documents (10%), 5.0 documents/s, ETA 18 s"
    assert caplog.messages[4] == "indexing: 50/100 documents (50%), 5.0 documents/s, ETA 10 s"
    assert caplog.messages[-1] == "indexing: 100/100 documents (100%), 5.0 documents/s, 20 s in all"


def test_slow_work_still_shows_a_line_every_30_seconds(caplog) -> None:
    clock = Clock()
    progress = Progress("retrieving", 1000, "queries", _logger(), clock=clock)
    for _ in range(95):  # 1 query a second: 10% takes 100 s
        clock.now += 1
        progress.advance()
    assert caplog.messages == [
        "retrieving: 30/1,000 queries (3%), 1.0 queries/s, ETA 16 min 10 s",
        "retrieving: 60/1,000 queries (6%), 1.0 queries/s, ETA 15 min 40 s",
        "retrieving: 90/1,000 queries (9%), 1.0 queries/s, ETA 15 min 10 s",
    ]


def test_the_end_is_always_shown(caplog) -> None:
    clock = Clock()
    progress = Progress("reranking", 40, "batches", _logger(), clock=clock)
    for _ in range(39):
        clock.now += 0.01
        progress.advance()
    assert len(caplog.messages) == 9  # every 4th batch: 10% of 40
    clock.now += 0.01
    progress.advance()
    assert caplog.messages[-1] == "reranking: 40/40 batches (100%), 100.0 batches/s, 0 s in all"


def test_slow_rates_keep_their_digits(caplog) -> None:
    clock = Clock()
    progress = Progress("reranking", 4, "batches", _logger(), clock=clock)
    clock.now += 36
    progress.advance()
    assert caplog.messages == ["reranking: 1/4 batches (25%), 0.028 batches/s, ETA 1 min 48 s"]


def test_durations_read_as_a_person_says_them() -> None:
    assert [duration(s) for s in (0.4, 42, 185, 3725, -1)] == [
        "0 s",
        "42 s",
        "3 min 05 s",
        "1 h 02 min",
        "0 s",
    ]


def _logger() -> logging.Logger:
    return logging.getLogger("rerankflow.test-progress")
