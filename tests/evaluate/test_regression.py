"""The nightly verdict's own rules: failed queries gate a run; only a clean pass is promoted."""

from __future__ import annotations

from pathlib import Path

from tasks.evaluate import regression
from tasks.evaluate.gates import GateCheck, GateResult, failed_queries_gate
from tasks.runs.manifest import RunManifest


def manifest(failed: int) -> RunManifest:
    return RunManifest(run_id="r1", counts={"queries": 50, "failed_queries": failed})


def test_failed_queries_trip_the_gate_in_fail_mode_and_warn_in_warn_mode():
    ok = failed_queries_gate(manifest(0), "fail")
    assert ok.passed and not ok.tripped
    bad = failed_queries_gate(manifest(3), "fail")
    assert not bad.passed and "3 of 50 queries failed" in bad.tripped[0].message
    assert "--resume r1" in bad.tripped[0].message
    warned = failed_queries_gate(manifest(3), "warn")
    assert warned.passed and warned.tripped


def test_only_a_run_with_nothing_tripped_is_promoted():
    base = regression.Baseline(Path("/runs/base"), "last passing run base")
    clean = regression.Verdict(base, gates=[failed_queries_gate(manifest(0), "fail")])
    assert clean.passed and clean.promotable
    cost_warning = GateResult(
        passed=True,
        mode="warn",
        checks=(GateCheck(metric="cost_per_1k_queries", tripped=True, message="cost +80%"),),
    )
    warned = regression.Verdict(base, gates=[*clean.gates, cost_warning])
    assert warned.passed and not warned.promotable
    lost = regression.Verdict(base, gates=[failed_queries_gate(manifest(2), "warn")])
    assert lost.passed and not lost.promotable
