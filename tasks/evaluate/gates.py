"""The gates: rules that turn a comparison, ops figures or a run's failures into a verdict.

Quality rules (`regression.rules`) judge a `compare_runs` result: a metric trips when it
dropped by more than max_drop AND the drop is significant. The ops gate judges cost and
latency growth, and the failed-queries gate a run that lost queries. Each gives a
`GateResult`; "warn" mode reports a trip without failing.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from config.settings import GateMode, GateRule
from tasks.errors import SettingsError
from tasks.evaluate.names import Metric
from tasks.evaluate.significance import format_p
from tasks.runs.manifest import RunManifest

# Worst queries named in a gate message (the comparison keeps WORST_N).
MESSAGE_WORST_N = 3


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GateCheck(_Frozen):
    """One rule's (or one ops figure's) outcome. stage is None for ops checks."""

    metric: str
    stage: str | None = None
    baseline: float | None = None
    current: float | None = None
    delta: float | None = None
    p_value: float | None = None
    threshold: float | None = None
    compared: bool = True
    tripped: bool = False
    message: str


class GateResult(_Frozen):
    """passed is False only in "fail" mode with a tripped check; "warn" mode reports only."""

    passed: bool
    mode: GateMode
    checks: tuple[GateCheck, ...]

    @property
    def tripped(self) -> list[GateCheck]:
        return [c for c in self.checks if c.tripped]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _check_mode(mode: str) -> None:
    if mode not in ("fail", "warn"):
        raise ValueError(f"gate mode must be 'fail' or 'warn', got {mode!r}")


def _entry(comparison: Mapping[str, Any], stage: str, metric: str) -> Mapping[str, Any]:
    entries = comparison.get("stages", {}).get(stage, {})
    if metric not in entries:
        parsed = Metric.parse(metric)
        unit = comparison.get("unit") or {}
        if parsed.group_only and unit.get("level") != "group":
            raise SettingsError(
                f"regression.rules: gate rule {stage} {metric}: {parsed.name} is measured at "
                "group level only, and these runs are scored on documents (qdrant.group_key unset)"
            )
        have = ", ".join(entries) or "none"
        raise SettingsError(
            f"regression.rules: gate rule {stage} {metric}: not in the comparison "
            f"({stage} has {have})"
        )
    return entries[metric]


def _worst_text(entry: Mapping[str, Any]) -> str:
    worst = entry.get("worst", [])[:MESSAGE_WORST_N]
    if not worst:
        return ""
    return "; worst queries: " + ", ".join(f"{w['qid']} ({w['delta']:+.2f})" for w in worst)


def _rule_message(rule: GateRule, entry: Mapping[str, Any], tripped: bool) -> str:
    delta, p = entry["delta"], entry["p_value"]
    name = f"{rule.stage} {rule.metric}"
    means = f"{entry['mean_a']:.3f} -> {entry['mean_b']:.3f}"
    if delta >= 0:
        return f"{name} did not drop ({means}, {delta:+.3f}, p={format_p(p)})"
    sig = f"p={format_p(p)} {'<' if p < rule.alpha else '>='} {rule.alpha:g}"
    head = f"{name} dropped {-delta:.3f} ({means}, {sig})"
    if tripped:
        why = f", beyond max_drop {rule.max_drop:g}"
    elif -delta > rule.max_drop:
        why = f", beyond max_drop {rule.max_drop:g} but not significant"
    else:
        why = f", within max_drop {rule.max_drop:g}"
    return head + why + _worst_text(entry)


def _result(checks: list[GateCheck], mode: GateMode) -> GateResult:
    tripped = any(c.tripped for c in checks)
    return GateResult(passed=mode == "warn" or not tripped, mode=mode, checks=tuple(checks))


def evaluate_gate(
    comparison: Mapping[str, Any], rules: Sequence[GateRule], *, mode: GateMode = "fail"
) -> GateResult:
    """Apply quality rules to a `compare_runs` result; a rule for an absent metric is an error."""
    _check_mode(mode)
    checks = []
    for rule in rules:
        entry = _entry(comparison, rule.stage, rule.metric)
        delta, p = float(entry["delta"]), float(entry["p_value"])
        # Both: a big drop on noise is not a regression, nor is a significant but tiny one.
        tripped = delta < -rule.max_drop and p < rule.alpha
        checks.append(
            GateCheck(
                metric=rule.metric,
                stage=rule.stage,
                baseline=float(entry["mean_a"]),
                current=float(entry["mean_b"]),
                delta=delta,
                p_value=p,
                threshold=rule.max_drop,
                tripped=tripped,
                message=_rule_message(rule, entry, tripped),
            )
        )
    return _result(checks, mode)


def _ops_value(values: Mapping[str, Any], name: str, side: str) -> float | None:
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{side} value for {name!r} is not a number: {value!r}")
    return None if math.isnan(value) else float(value)


def _change_text(base: float, cur: float) -> str:
    if base == 0:
        return "+0.0%" if cur == 0 else "from 0"
    return f"{(cur - base) / abs(base):+.1%}"


def _ops_check(name: str, base: float | None, cur: float | None, threshold: float) -> GateCheck:
    if base is None or cur is None:
        side = "baseline" if base is None else "current"
        return GateCheck(
            metric=name,
            baseline=base,
            current=cur,
            threshold=threshold,
            compared=False,
            message=f"{name}: not compared: no {side} value",
        )
    tripped = cur > base * (1 + threshold)
    verdict = "over" if tripped else "within"
    return GateCheck(
        metric=name,
        baseline=base,
        current=cur,
        delta=cur - base,
        threshold=threshold,
        tripped=tripped,
        message=(
            f"{name} {base:.4g} -> {cur:.4g} ({_change_text(base, cur)}), "
            f"{verdict} the {threshold:.0%} allowed"
        ),
    )


def evaluate_ops_gate(
    baseline: Mapping[str, float | None],
    current: Mapping[str, float | None],
    thresholds: Mapping[str, float],
    mode: GateMode = "fail",
) -> GateResult:
    """Cost/latency gate: a figure trips when current > baseline * (1 + threshold).

    Only the figures named in `thresholds` are checked; a figure missing (or NaN) on either
    side is reported as not compared, never as a trip.
    """
    _check_mode(mode)
    checks = []
    for name, threshold in thresholds.items():
        if not isinstance(threshold, numbers.Real) or not math.isfinite(threshold) or threshold < 0:
            raise ValueError(f"ops threshold for {name!r} must be a number >= 0, got {threshold!r}")
        base = _ops_value(baseline, name, "baseline")
        cur = _ops_value(current, name, "current")
        checks.append(_ops_check(name, base, cur, float(threshold)))
    return _result(checks, mode)


def failed_queries_gate(manifest: RunManifest, mode: GateMode) -> GateResult:
    """Queries that failed to rerank are left out of the comparison, so they are gated here:
    a run that lost queries must not pass, nor become the baseline, on the survivors alone."""
    counts = manifest.counts
    failed, total = int(counts.get("failed_queries", 0)), int(counts.get("queries", 0))
    tripped = failed > 0
    message = (
        f"failed_queries: {failed} of {total} queries failed to rerank (failed.parquet; "
        f"`rerankflow run --resume {manifest.run_id}` retries them)"
        if tripped
        else f"failed_queries: none of {total}"
    )
    check = GateCheck(
        metric="failed_queries", current=failed, threshold=0, tripped=tripped, message=message
    )
    return _result([check], mode)
