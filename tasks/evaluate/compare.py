"""Compare two runs query by query (A = baseline, B = candidate) and gate on regressions.

The per-query metrics come from the same `per_query.sql` as `metrics`, computed in one
DuckDB connection for both runs and both stages; `compare_*.sql` pair them up, count per-query
wins/losses/ties and find the worst queries. Significance is a paired sign-flip permutation
test on the per-query differences (exact over every sign flip when few queries differ, seeded
sampling above). Everything returned is plain JSON-ready data.

Both runs are scored in the unit their manifests record (`config.qdrant.group_key`: groups of
chunks, else documents, as `metrics.evaluate_run`); runs measured in different units are
refused.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
from pydantic import BaseModel, ConfigDict
from upath import UPath

from config.settings import ALL_METRIC_NAMES, GROUP_METRIC_NAMES, GateMode, GateRule, Stage
from tasks.errors import SettingsError
from tasks.evaluate.metrics import (
    DEFAULT_KS,
    NDCG_EPS,
    check_ks,
    check_label_ids,
    check_run_file,
    check_unit_columns,
    describe_unit,
    per_query_sql,
    read_parquet_sql,
    register_qrels,
    render_sql,
    run_relation,
    sql_string,
    unit_of,
)
from tasks.runs import storage
from tasks.runs.layout import CANDIDATES_FILE, MANIFEST_FILE, RERANKED_FILE, run_id_of
from tasks.runs.manifest import RunManifest, has_manifest, read_manifest
from tasks.runs.runstore import failed_qids
from tasks.runs.storage import PathLike
from tasks.types import InputError, Qrels

STAGES: tuple[Stage, ...] = ("retrieval", "reranked")
DEFAULT_N_RESAMPLES = 10_000
WORST_N = 5
# Worst queries named in a gate message (the comparison keeps WORST_N).
MESSAGE_WORST_N = 3
# Per-query differences within this are float noise (ndcg summation order), i.e. ties.
TIE_EPS = NDCG_EPS
# Up to this many non-tied differences the test enumerates every sign flip (2**16 sums).
EXACT_MAX_N = 16
# Sampled sign flips are drawn in batches of at most this many cells (doubles).
_MAX_BATCH_CELLS = 4_000_000
# Flip sums within this of the observed |sum| are as extreme (float summation order).
_SUM_TOL = 1e-9

_STAGE_FILES: dict[Stage, tuple[str, str]] = {
    "retrieval": (CANDIDATES_FILE, "retrieval_score"),
    "reranked": (RERANKED_FILE, "rerank_score"),
}
_CANDIDATE_COLUMNS = ("qid", "doc_id", "retrieval_score")
_RERANKED_COLUMNS = ("qid", "doc_id", "rerank_score")


# --------------------------------------------------------------------------- significance


def _flip_sums(diffs: np.ndarray) -> np.ndarray:
    """The sum of the differences under each of the 2**n sign assignments (doubling: each
    difference adds itself to one copy of the sums so far and subtracts from the other)."""
    sums = np.zeros(1)
    for d in diffs:
        sums = np.concatenate((sums + d, sums - d))
    return sums


def _sampled_flip_sums(diffs: np.ndarray, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Sums under n_resamples random sign assignments, in batches that bound memory."""
    rng = np.random.default_rng(seed)
    batch = max(1, _MAX_BATCH_CELLS // diffs.size)
    for start in range(0, n_resamples, batch):
        size = min(batch, n_resamples - start)
        signs = 1.0 - 2.0 * rng.integers(0, 2, size=(size, diffs.size))
        yield signs @ diffs


def paired_permutation_pvalue(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    seed: int = 0,
    n_resamples: int = DEFAULT_N_RESAMPLES,
) -> float:
    """Two-sided p-value of the paired randomization test of mean(b - a) = 0.

    Why a sign-flip permutation test: per-query IR metrics are bounded, discrete and heavily
    tied (hit_rate is 0/1, recall takes a few values), so the t-test's normality is a poor
    fit on small query sets; under the null that A and B are exchangeable per query, each
    difference's sign is a fair coin. It is the test Smucker et al. (CIKM 2007) recommend for
    IR. A bootstrap CI of the mean would also work but is anti-conservative on few queries.

    p is the share of sign assignments whose |sum| is at least the observed |sum| (mean is
    sum / n, a fixed rescaling). Exact over all 2**n assignments of the n non-tied differences
    when n <= EXACT_MAX_N or 2**n <= n_resamples (so one differing query gives 1.0, as it
    must: its two signs are equally extreme); above, n_resamples seeded draws, with p =
    (hits + 1) / (n_resamples + 1), which never reports 0 for a sampled test.
    """
    diffs = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if diffs.ndim != 1 or np.shape(a) != np.shape(b):
        raise ValueError(f"need two equal-length 1-d samples, got {np.shape(a)} and {np.shape(b)}")
    if diffs.size == 0:
        raise ValueError("need at least one paired value")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    # Ties (and float noise) contribute 0 whichever their sign: dropping them leaves p
    # unchanged and cuts the cost (IR runs tie on most queries).
    diffs = diffs[np.abs(diffs) > TIE_EPS]
    if diffs.size == 0:
        return 1.0
    # Sums that differ by float rounding alone (summation order) count as equally extreme.
    threshold = abs(float(diffs.sum())) - _SUM_TOL
    if diffs.size <= EXACT_MAX_N or 2**diffs.size <= n_resamples:
        return float(np.mean(np.abs(_flip_sums(diffs)) >= threshold))
    hits = sum(
        int(np.count_nonzero(np.abs(s) >= threshold))
        for s in _sampled_flip_sums(diffs, n_resamples, seed)
    )
    return min(1.0, (hits + 1) / (n_resamples + 1))


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class _Run:
    label: str  # "A" or "B", for messages
    path: UPath
    manifest: RunManifest | None  # None: an ad-hoc run directory (no manifest.json)
    run_id: str
    fetch_k: int
    top_k: int
    ks: tuple[int, ...]
    qids: frozenset[str]
    failed: frozenset[str]
    # The manifest's qdrant.group_key: set, the run is scored on groups of chunks.
    group_key: str | None = None

    @property
    def name(self) -> str:
        return f"run {self.label} ({self.run_id}, {self.path})"

    def relation(self, stage: Stage) -> str:
        file_name, score = _STAGE_FILES[stage]
        return run_relation(self.path / file_name, score, self.group_key)

    def hash(self, name: str) -> str | None:
        value = getattr(self.manifest.hashes, name, None) if self.manifest else None
        return str(value) if value else None

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "path": str(self.path),
            "status": self.manifest.status if self.manifest else None,
            "fetch_k": self.fetch_k,
            "top_k": self.top_k,
            "hashes": {k: self.hash(k) for k in ("query_set", "labels", "corpus", "collection")},
        }


def _max_rows_per_query(con: duckdb.DuckDBPyConnection, path: UPath) -> int:
    sql = (
        "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n "
        f"FROM {read_parquet_sql(path)} GROUP BY qid)"
    )
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _distinct_qids(con: duckdb.DuckDBPyConnection, path: UPath) -> frozenset[str]:
    sql = f"SELECT DISTINCT CAST(qid AS VARCHAR) FROM {read_parquet_sql(path)}"
    return frozenset(row[0] for row in con.execute(sql).fetchall())


def _load_run(con: duckdb.DuckDBPyConnection, label: str, run_dir: UPath) -> _Run:
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: run {label}: run directory not found")
    candidates, reranked = run_dir / CANDIDATES_FILE, run_dir / RERANKED_FILE
    check_run_file(con, candidates, _CANDIDATE_COLUMNS)
    check_run_file(con, reranked, _RERANKED_COLUMNS)
    # Without a manifest (an ad-hoc run directory) fetch_k/top_k are read from the files.
    manifest = read_manifest(run_dir) if has_manifest(run_dir) else None
    group_key = manifest.group_key if manifest else None
    for path in (candidates, reranked):
        check_unit_columns(con, path, group_key)
    fetch_k = (manifest and manifest.run_int("fetch_k")) or _max_rows_per_query(con, candidates)
    top_k = (manifest and manifest.run_int("top_k")) or _max_rows_per_query(con, reranked)
    if top_k < 1 or fetch_k < 1:
        raise InputError(
            f"{run_dir}: run {label}: no rows to compare and no config.run in manifest"
        )
    run_id = manifest.run_id if manifest else run_id_of(run_dir)
    return _Run(
        label=label,
        path=run_dir,
        manifest=manifest,
        run_id=run_id,
        fetch_k=fetch_k,
        top_k=top_k,
        ks=manifest.ks if manifest else (),
        qids=_distinct_qids(con, candidates),
        failed=failed_qids(run_dir),
        group_key=group_key,
    )


def _examples(qids: set[str] | frozenset[str], n: int = 3) -> str:
    shown = ", ".join(sorted(qids)[:n])
    return f" (e.g. {shown}{', ...' if len(qids) > n else ''})" if qids else ""


def _check_same_queries(a: _Run, b: _Run) -> None:
    """Refuse runs over different query sets: their per-query values cannot be paired."""
    only_a, only_b = a.qids - b.qids, b.qids - a.qids
    differ = (
        f"{len(only_a)} qid(s) only in run A{_examples(only_a)}, "
        f"{len(only_b)} qid(s) only in run B{_examples(only_b)}"
    )
    hash_a, hash_b = a.hash("query_set"), b.hash("query_set")
    if hash_a and hash_b:
        # Same hash: same queries, even where a query without hits is absent from one file.
        if hash_a != hash_b:
            raise ValueError(
                f"{a.name} and {b.name} ran different query sets: field 'hashes.query_set' "
                f"{hash_a[:12]} vs {hash_b[:12]}; {differ}"
            )
        return
    if only_a or only_b:
        raise ValueError(
            f"{a.name} and {b.name} ran different query sets "
            f"(compared the qids in {CANDIDATES_FILE}, no hashes.query_set in both "
            f"manifests): {differ}"
        )


def _check_same_unit(a: _Run, b: _Run) -> None:
    """Refuse runs scored in different units: a group's recall is not a document's."""
    if a.group_key != b.group_key:
        raise InputError(
            f"{a.name} is scored at unit {describe_unit(unit_of(a.group_key))}, {b.name} at "
            f"unit {describe_unit(unit_of(b.group_key))}: runs measured in different units "
            "cannot be compared (compare runs with the same qdrant.group_key)"
        )


def _stage_ks(a: _Run, b: _Run, ks: Sequence[int] | None) -> dict[Stage, list[int]]:
    """Cutoffs per stage, as `evaluate_run` picks them, capped by the smaller run."""
    wanted = check_ks(ks if ks is not None else (sorted(set(a.ks) | set(b.ks)) or DEFAULT_KS))
    fetch_k, top_k = min(a.fetch_k, b.fetch_k), min(a.top_k, b.top_k)
    return {
        "retrieval": sorted({k for k in wanted if k <= fetch_k} | {fetch_k}),
        "reranked": [k for k in wanted if k <= top_k],
    }


def _collection_changed(a: _Run, b: _Run) -> str:
    """A warning, not a failure: the data moved under the runs (a live collection does)."""
    ca, cb = ((run.manifest and run.manifest.collection) or {} for run in (a, b))
    names = sorted({str(c.get("name")) for c in (ca, cb) if c.get("name")})
    return (
        f"collection changed between the runs ({', '.join(names) or 'collection'}: "
        f"{ca.get('points', '?')} -> {cb.get('points', '?')} points, fingerprint "
        f"{a.hash('collection')} -> {b.hash('collection')}): differences may come from the "
        "data, not the pipeline"
    )


def _warnings(a: _Run, b: _Run) -> list[str]:
    out = []
    for run in (a, b):
        if run.manifest is None:
            out.append(f"{run.name}: no {MANIFEST_FILE}; fetch_k/top_k read from the files")
        elif run.manifest.status != "completed":
            out.append(f"{run.name}: status is {run.manifest.status!r}, not 'completed'")
    for field, why in (
        ("corpus", "the runs searched different corpora"),
        ("labels", "the runs were labelled differently; both are scored on the labels given"),
    ):
        if a.hash(field) and b.hash(field) and a.hash(field) != b.hash(field):
            out.append(f"hashes.{field} differ: {why}")
    if (
        a.hash("collection")
        and b.hash("collection")
        and a.hash("collection") != b.hash("collection")
    ):
        out.append(_collection_changed(a, b))
    for field in ("fetch_k", "top_k"):
        va, vb = getattr(a, field), getattr(b, field)
        if va != vb:
            out.append(f"{field} differs (A {va}, B {vb}): compared up to {min(va, vb)}")
    return out


# --------------------------------------------------------------------------- comparison


def _paired_qrels(qrels: Qrels, a: _Run, b: _Run) -> tuple[Qrels, dict[str, int]]:
    """Labels of the queries both runs can be scored on, and what was left out."""
    labelled = {qid for qid, judged in qrels.items() if any(r > 0 for r in judged.values())}
    in_runs = a.qids | b.qids
    # A query whose rerank failed in either run has no pair: leave it out of both.
    failed = (a.failed | b.failed) & labelled
    keep = (labelled & in_runs) - failed
    counts = {
        "compared": len(keep),
        "labelled_not_in_runs": len(labelled - in_runs - failed),
        "unlabelled_in_runs": len(in_runs - labelled),
        "failed_rerank_excluded": len(failed),
    }
    return {qid: dict(qrels[qid]) for qid in sorted(keep)}, counts


def _build_paired(
    con: duckdb.DuckDBPyConnection, a: _Run, b: _Run, stage_ks: Mapping[Stage, list[int]]
) -> None:
    """Create the temp table paired(stage, qid, k, metric, a, b)."""
    con.execute(
        "CREATE TEMP TABLE paired (stage VARCHAR, qid VARCHAR, k INTEGER, metric VARCHAR, "
        "a DOUBLE, b DOUBLE)"
    )
    for stage in STAGES:
        if not stage_ks[stage]:
            continue
        tables = {}
        for run in (a, b):
            table = f"pq_{run.label.lower()}_{stage}"
            sql = per_query_sql(run.relation(stage), groups=run.group_key is not None)
            con.execute(f"CREATE TEMP TABLE {table} AS {sql}", {"ks": stage_ks[stage]})
            tables[run.label] = table
        paired = render_sql(
            "compare_paired", a=f"SELECT * FROM {tables['A']}", b=f"SELECT * FROM {tables['B']}"
        )
        con.execute(f"INSERT INTO paired SELECT {sql_string(stage)}, * FROM ({paired})")


def _metric_order(name: str, k: int) -> tuple[int, str, int]:
    rank = ALL_METRIC_NAMES.index(name) if name in ALL_METRIC_NAMES else len(ALL_METRIC_NAMES)
    return rank, name, k


def _worst_by_metric(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[dict]]:
    sql = render_sql("compare_worst", paired="SELECT * FROM paired")
    out: dict[tuple[str, str], list[dict]] = {}
    for stage, name, k, qid, a, b, delta in con.execute(
        sql, {"eps": TIE_EPS, "n": WORST_N}
    ).fetchall():
        row = {"qid": qid, "a": float(a), "b": float(b), "delta": float(delta)}
        out.setdefault((stage, f"{name}@{k}"), []).append(row)
    return out


def _pvalue(
    con: duckdb.DuckDBPyConnection,
    key: tuple[str, str, int],
    seed: int,
    n_resamples: int,
    seen: dict[bytes, float],
) -> float:
    stage, name, k = key
    a, b = (
        con.execute(
            "SELECT a, b FROM paired WHERE stage = $stage AND metric = $metric AND k = $k "
            "ORDER BY qid",
            {"stage": stage, "metric": name, "k": k},
        )
        .fetchnumpy()
        .values()
    )
    # Metrics often pair up identically (recall@k and hit_rate@k with one relevant doc a
    # query); each test draws from a fresh generator(seed), so a repeat has the same p.
    pair = np.asarray(a, dtype=float).tobytes() + np.asarray(b, dtype=float).tobytes()
    if pair not in seen:
        seen[pair] = paired_permutation_pvalue(a, b, seed=seed, n_resamples=n_resamples)
    return seen[pair]


def _stage_entries(
    con: duckdb.DuckDBPyConnection, seed: int, n_resamples: int
) -> dict[str, dict[str, dict[str, Any]]]:
    rows = con.execute(
        render_sql("compare_summary", paired="SELECT * FROM paired"), {"eps": TIE_EPS}
    ).fetchall()
    worst = _worst_by_metric(con)
    seen: dict[bytes, float] = {}
    out: dict[str, dict[str, dict[str, Any]]] = {stage: {} for stage in STAGES}
    for stage, name, k, n, mean_a, mean_b, wins, losses, ties in sorted(
        rows, key=lambda r: (STAGES.index(r[0]), *_metric_order(r[1], r[2]))
    ):
        key = f"{name}@{k}"
        out[stage][key] = {
            "metric": name,
            "k": int(k),
            "n": int(n),
            "mean_a": float(mean_a),
            "mean_b": float(mean_b),
            "delta": float(mean_b) - float(mean_a),
            "wins": int(wins),
            "losses": int(losses),
            "ties": int(ties),
            "p_value": _pvalue(con, (stage, name, int(k)), seed, n_resamples, seen),
            "worst": worst.get((stage, key), []),
        }
    return out


def compare_runs(
    run_a: PathLike,
    run_b: PathLike,
    qrels: Qrels,
    *,
    ks: Sequence[int] | None = None,
    seed: int = 0,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    labels_name: str | None = None,
    refuse_unmatched: bool = True,
) -> dict[str, Any]:
    """Per-query comparison of run B (candidate) against run A (baseline), both stages.

    Scored over the labelled queries in the runs (a query without hits in one run scores 0
    there; a query whose rerank failed in either run is left out of both). `ks` defaults to
    the manifests' run.ks; retrieval is compared up to the smaller fetch_k (and at it),
    reranked up to the smaller top_k. Raises ValueError when the runs' query sets differ.

    The unit comes from the manifests (`config.qdrant.group_key`), the source of truth: both
    runs on groups or both on documents, else InputError. Label ids matching nothing in a run
    are counted (`queries.label_ids_not_in_a` / `_b`); none matching at all is an InputError
    naming `labels_name` (the labels' path).
    """
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    path_a, path_b = storage.location(run_a), storage.location(run_b)
    con = storage.connect_duckdb(path_a, path_b)
    try:
        a = _load_run(con, "A", path_a)
        b = _load_run(con, "B", path_b)
        _check_same_unit(a, b)
        _check_same_queries(a, b)
        stage_ks = _stage_ks(a, b, ks)
        used, counts = _paired_qrels(qrels, a, b)
        if not used:
            raise ValueError(
                f"{a.name} and {b.name}: no labelled query to compare "
                f"({len(a.qids | b.qids)} queries in the runs, {len(qrels)} in the labels)"
            )
        register_qrels(con, used)
        for run in (a, b):
            seen = check_label_ids(
                con,
                run.relation("retrieval"),
                labels_name=labels_name or "labels",
                run_name=f"{run.label} ({run.run_id})",
                group_key=run.group_key,
                refuse_unmatched=refuse_unmatched,
            )
            counts["label_ids"] = seen["label_ids"]
            counts[f"label_ids_not_in_{run.label.lower()}"] = seen["label_ids_not_in_run"]
        _build_paired(con, a, b, stage_ks)
        stages = _stage_entries(con, seed, n_resamples)
    finally:
        con.close()
    return {
        "unit": unit_of(a.group_key),
        "a": a.summary(),
        "b": b.summary(),
        "queries": counts,
        "ks": {stage: list(v) for stage, v in stage_ks.items()},
        "test": {
            "method": "paired sign-flip permutation test of the mean per-query difference",
            "alternative": "two-sided",
            "n_resamples": n_resamples,
            "exact_max_n": EXACT_MAX_N,
            "seed": seed,
            "tie_eps": TIE_EPS,
        },
        "stages": stages,
        "warnings": _warnings(a, b),
    }


# --------------------------------------------------------------------------- gates


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


def _fmt_p(p: float) -> str:
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _entry(comparison: Mapping[str, Any], stage: str, metric: str) -> Mapping[str, Any]:
    entries = comparison.get("stages", {}).get(stage, {})
    if metric not in entries:
        name = metric.partition("@")[0]
        unit = comparison.get("unit") or {}
        if name in GROUP_METRIC_NAMES and unit.get("level") != "group":
            raise SettingsError(
                f"regression.rules: gate rule {stage} {metric}: {name} is measured at group "
                "level only, and these runs are scored on documents (qdrant.group_key unset)"
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
        return f"{name} did not drop ({means}, {delta:+.3f}, p={_fmt_p(p)})"
    sig = f"p={_fmt_p(p)} {'<' if p < rule.alpha else '>='} {rule.alpha:g}"
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


# --------------------------------------------------------------------------- rendering


def _rows(comparison: Mapping[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for stage, entries in comparison["stages"].items():
        for key, e in entries.items():
            rows.append(
                (
                    stage,
                    key,
                    f"{e['mean_a']:.4f}",
                    f"{e['mean_b']:.4f}",
                    f"{e['delta']:+.4f}",
                    _fmt_p(e["p_value"]),
                    f"{e['wins']}/{e['losses']}/{e['ties']}",
                )
            )
    return rows


_HEADER = ("stage", "metric", "A", "B", "delta", "p", "W/L/T")


def _header_lines(comparison: Mapping[str, Any]) -> list[str]:
    a, b, q, t = (comparison[k] for k in ("a", "b", "queries", "test"))
    unseen = ""
    if "label_ids" in q:
        unseen = (
            f"; label ids not in run A {q.get('label_ids_not_in_a')}, "
            f"not in run B {q.get('label_ids_not_in_b')}, of {q['label_ids']}"
        )
    # Comparisons stored before exact enumeration lack the field.
    n_exact = t.get("exact_max_n")
    exact = f"exact up to {n_exact} differing queries, else " if n_exact else ""
    return [
        f"A (baseline):  {a['run_id']}  fetch_k={a['fetch_k']} top_k={a['top_k']}  {a['path']}",
        f"B (candidate): {b['run_id']}  fetch_k={b['fetch_k']} top_k={b['top_k']}  {b['path']}",
        f"unit: {describe_unit(comparison.get('unit'))}",
        f"queries compared: {q['compared']} (labelled not in runs {q['labelled_not_in_runs']}, "
        f"unlabelled in runs {q['unlabelled_in_runs']}, "
        f"failed reranks left out {q['failed_rerank_excluded']}){unseen}",
        f"test: {t['method']}, {t['alternative']}, {exact}{t['n_resamples']} resamples, "
        f"seed {t['seed']}; W/L/T = queries where B won/lost/tied",
        *(f"warning: {w}" for w in comparison.get("warnings", [])),
    ]


def _gates(gate: GateResult | Sequence[GateResult] | None) -> list[GateResult]:
    if gate is None:
        return []
    return [gate] if isinstance(gate, GateResult) else list(gate)


def _check_tag(check: GateCheck, mode: GateMode) -> str:
    if not check.compared:
        return "SKIP"
    if check.tripped:
        return "FAIL" if mode == "fail" else "WARN"
    return "ok"


def _gate_lines(gates: list[GateResult]) -> list[tuple[str, str]]:
    """(tag, message) per check, after a verdict line per gate."""
    lines = []
    for g in gates:
        n = len(g.tripped)
        verdict = "passed" if g.passed else "FAILED"
        lines.append(("", f"gate ({g.mode} mode): {verdict}, {n} of {len(g.checks)} tripped"))
        lines += [(_check_tag(c, g.mode), c.message) for c in g.checks]
    return lines


def format_comparison(
    comparison: Mapping[str, Any], gate: GateResult | Sequence[GateResult] | None = None
) -> str:
    """Plain-text report for a terminal: header, one table row per stage/metric@k, gate lines."""
    rows = [_HEADER, *_rows(comparison)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]
    table = []
    for i, row in enumerate(rows):
        cells = [
            c.ljust(w) if j < 2 else c.rjust(w)
            for j, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        table.append("  ".join(cells).rstrip())
        if i == 0:
            table.append("  ".join("-" * w for w in widths))
    out = [*_header_lines(comparison), "", *table]
    gate_lines = [f"{tag:<4}  {msg}" if tag else msg for tag, msg in _gate_lines(_gates(gate))]
    if gate_lines:
        out += ["", *gate_lines]
    return "\n".join(out)


def comparison_markdown(
    comparison: Mapping[str, Any], gate: GateResult | Sequence[GateResult] | None = None
) -> str:
    """Markdown version of `format_comparison`, for a Prefect markdown artifact."""
    lines = [f"- {line}" for line in _header_lines(comparison)]
    lines += ["", "| " + " | ".join(_HEADER) + " |", "|---|---|---:|---:|---:|---:|---:|"]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(comparison)]
    for tag, msg in _gate_lines(_gates(gate)):
        lines += ["", f"**{msg}**", ""] if not tag else [f"- **{tag}** {msg}"]
    return "\n".join(lines)
