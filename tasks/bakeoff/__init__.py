"""A bake-off: several rerankers over one retrieval, side by side on quality, latency and cost.

Under the runs root a bake-off is a directory of its own:

    bakeoffs/<bakeoff_id>/
      bakeoff.json          config, headline metric, columns (reranker, run id, status, reason)
      retrieval/_parts/     the one retrieval every column reranks (batch-NNNNN.hits.parquet)
      table.json, quality_vs_cost.png, report.html

Each column is a normal run under `run_date=.../run_id=...` (candidates, reranked, calls,
metrics.json, manifest), so `eval`, `compare` and `costs` work on it; its manifest's
`shared_retrieval` names the bake-off's retrieval directory, which `runstore.hits_dir` reads
instead of a copy of the hits. The table reuses the project's own definitions: quality from
`metrics.evaluate_run`, deltas and p-values from `compare.compare_runs`, cost from
`costs.run_costs`; only latency, throughput and the break-even volume are computed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, get_args

from upath import UPath

from config.settings import GROUP_METRIC_NAMES, METRIC_NAMES, RerankBackend, Settings
from tasks import costs
from tasks.calls.calllog import CALLS_FILE
from tasks.errors import InputError, SettingsError
from tasks.evaluate import metrics
from tasks.evaluate.compare import compare_runs
from tasks.evaluate.sql import read_parquet_sql, render_sql
from tasks.rerank.device import MODEL_BACKENDS
from tasks.runs import runstore, storage
from tasks.runs.manifest import read_manifest
from tasks.runs.storage import PathLike
from tasks.types import Qrels

BAKEOFFS_DIR = "bakeoffs"
BAKEOFF_FILE = "bakeoff.json"
RETRIEVAL_DIR = "retrieval"
TABLE_FILE = "table.json"
PLOT_FILE = "quality_vs_cost.png"
REPORT_FILE = "report.html"
BASELINE = "none"
# Backends billed per request by a hosted API (the other side of the break-even volume).
HOSTED_BACKENDS = ("cohere",)
DEFAULT_METRIC = "recall@5"
DEFAULT_ALPHA = 0.05
# A failure reason in the table is cut here (the full one is in the flow run's log).
REASON_CHARS = 300
HOURS_PER_DAY = 24
SECONDS_PER_DAY = 86_400


# --------------------------------------------------------------------------- what is compared


@dataclass(frozen=True)
class RerankerSpec:
    """One column: `backend` or `backend:model` as given on the command line."""

    backend: str
    model: str | None = None

    @property
    def name(self) -> str:
        return f"{self.backend}:{self.model}" if self.model else self.backend


def parse_spec(text: str) -> RerankerSpec:
    """`bm25`, `cohere`, `cohere:rerank-v3.5`, `flag:BAAI/bge-reranker-v2-m3`, `flag:/models/x`."""
    backend, _, model = text.strip().partition(":")
    known = get_args(RerankBackend)
    if backend not in known:
        raise SettingsError(
            f"--reranker {text}: unknown backend '{backend}' (known: {', '.join(known)}); "
            "write backend or backend:model"
        )
    if model and backend in ("none", "bm25"):
        raise SettingsError(f"--reranker {text}: backend '{backend}' takes no model")
    if not model and backend in MODEL_BACKENDS:
        raise SettingsError(
            f"--reranker {text}: backend '{backend}' needs a model: {backend}:MODEL "
            "(hub id or local directory)"
        )
    return RerankerSpec(backend, model or None)


def parse_specs(texts: Sequence[str]) -> list[RerankerSpec]:
    """The columns in order, `none` first (the baseline every delta is measured against; added
    when not given); a reranker given twice is refused."""
    if not texts:
        raise SettingsError("bakeoff: no rerankers; give --reranker BACKEND[:MODEL] at least once")
    specs = [parse_spec(t) for t in texts]
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise SettingsError(f"--reranker {spec.name}: given twice")
        seen.add(spec.name)
    base = [s for s in specs if s.name == BASELINE] or [RerankerSpec(BASELINE)]
    return base + [s for s in specs if s.name != BASELINE]


def parse_metric(text: str, settings: Settings) -> tuple[str, int]:
    """The headline metric (reranked stage) the deltas, tests and 'best' are about."""
    name, sep, k = text.partition("@")
    names = METRIC_NAMES + (GROUP_METRIC_NAMES if settings.qdrant.group_key else ())
    if not sep or name not in names or not k.isdigit():
        raise SettingsError(
            f"--metric {text}: expected name@k with a name in {', '.join(names)}, e.g. recall@5"
        )
    ks = settings.run.ks
    if int(k) not in ks or int(k) > settings.run.top_k:
        raise SettingsError(
            f"--metric {text}: k={int(k)} must be in run.ks {list(ks)} and at most run.top_k "
            f"({settings.run.top_k}); add it, e.g. --set 'run.ks=[{int(k)}, 10]'"
        )
    return name, int(k)


def column_settings(base: Settings, spec: RerankerSpec) -> Settings:
    """The bake-off's settings with this column's reranker. Only model backends go to
    `run.rerank_deployment` (the gpu pool); the others rerank in the bake-off's process."""
    config = base.model_dump(mode="json")
    config["reranker"].update(backend=spec.backend, model=spec.model)
    if spec.backend not in MODEL_BACKENDS:
        config["run"]["rerank_deployment"] = None
    try:
        return Settings.model_validate(config)
    except ValueError as exc:
        raise SettingsError(f"--reranker {spec.name}: {' '.join(str(exc).split())[:300]}") from None


# --------------------------------------------------------------------------- layout


def retrieval_ref(bakeoff_id: str) -> str:
    """The shared retrieval directory, relative to the runs root (what a column's manifest
    records under `shared_retrieval.dir`)."""
    return f"{BAKEOFFS_DIR}/{bakeoff_id}/{RETRIEVAL_DIR}"


def bakeoff_dir(runs_root: PathLike, bakeoff_id: str) -> UPath:
    return storage.location(runs_root) / BAKEOFFS_DIR / bakeoff_id


def find_bakeoff(runs_root: PathLike, bakeoff_id: str) -> UPath:
    path = bakeoff_dir(runs_root, bakeoff_id)
    if not (path / BAKEOFF_FILE).exists():
        raise InputError(
            f"{path / BAKEOFF_FILE}: no bake-off '{bakeoff_id}' under {runs_root}; give the id a "
            "bake-off printed, with the same --profile and run.runs_root"
        )
    return path


def start_manifest(
    settings: Settings,
    bakeoff_id: str,
    specs: Sequence[RerankerSpec],
    run_ids: Sequence[str],
    metric: str,
    alpha: float,
    hashes: Mapping[str, str | None],
    counts: Mapping[str, int],
) -> dict[str, Any]:
    return {
        "bakeoff_id": bakeoff_id,
        "status": "running",
        "created_at": datetime.now(UTC).isoformat(),
        "profile": settings.profile,
        "config": settings.model_dump(mode="json"),
        "metric": metric,
        "alpha": alpha,
        "retrieval": {"dir": retrieval_ref(bakeoff_id)},
        "hashes": dict(hashes),
        "counts": dict(counts),
        "columns": [
            {
                "name": spec.name,
                "backend": spec.backend,
                "model": spec.model,
                "run_id": run_id,
                "status": "pending",
                "reason": None,
            }
            for spec, run_id in zip(specs, run_ids, strict=True)
        ],
        "attempts": 0,
    }


def shorten(reason: str) -> str:
    text = " ".join(reason.split())
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 3] + "..."


# --------------------------------------------------------------------------- per column


def usage(run_dir: PathLike) -> dict[str, Any]:
    """Latency percentiles, device seconds, billed units and pairs from a run's call log."""
    path = storage.location(run_dir) / CALLS_FILE
    con = storage.connect_duckdb(path)
    try:
        relation = f"SELECT * FROM {read_parquet_sql(path)}"
        cursor = con.execute(render_sql("bakeoff_usage", calls=relation))
        names = [d[0] for d in cursor.description or []]
        row = cursor.fetchone()
    finally:
        con.close()
    assert row is not None  # an aggregate always returns a row
    out = dict(zip(names, row, strict=True))
    queries, new = int(out["queries"]), int(out["queries"]) - int(out["cache_hits"])
    pairs, seconds = int(out["device_pairs"]), float(out["device_seconds"])
    return {
        "queries": queries,
        "cache_hits": int(out["cache_hits"]),
        "latency_p50_s": out["latency_p50_s"],
        "latency_p95_s": out["latency_p95_s"],
        "device_seconds_per_query": seconds / queries if queries else None,
        "search_units_per_query": int(out["new_search_units"]) / new if new else None,
        "pairs_per_query": pairs / queries if queries and pairs else None,
        "pairs_per_second": pairs / seconds if seconds > 0 else None,
    }


def _column_metrics(run_dir: UPath, qrels: Qrels, labels_name: str | None) -> dict[str, Any]:
    """`evaluate_run` on the column's run, with its own settings, as the run measured itself."""
    manifest = read_manifest(run_dir)
    run = Settings.model_validate(manifest.config).run
    return metrics.evaluate_run(
        run_dir,
        qrels,
        fetch_k=run.fetch_k,
        top_k=run.top_k,
        ks=run.ks,
        group_key=manifest.group_key,
        labels_name=labels_name,
    )


def _cost(run_dir: UPath, settings: Settings) -> dict[str, Any]:
    """The column's `rerankflow costs` row (per 1,000 new queries, projection per 30 days)."""
    [row] = costs.run_costs(
        [run_dir / CALLS_FILE], settings.costs, settings.costs.queries_per_day
    ) or [{}]
    return {
        "cost_per_1k_queries": row.get("cost_per_1k_new_queries"),
        "cost_per_30_days": row.get("projected_per_30_days"),
        "currency": settings.costs.currency,
    }


# --------------------------------------------------------------------------- break-even


def break_even(
    pairs_per_second: float | None,
    pairs_per_query: float | None,
    device_per_hour: float,
    hosted_cost_per_query: float,
) -> dict[str, Any]:
    """When a dedicated device beats a hosted API billed per query.

    The device is rented around the clock: HOURS_PER_DAY x device_per_hour a day, whatever the
    load, serving at most capacity = pairs/s x 86,400 / pairs per query queries a day. The API
    costs volume x hosted_cost_per_query. They cost the same at volume = device cost a day /
    hosted cost a query; above it the device is cheaper, as long as that volume fits in the
    device's capacity (more devices scale both sides alike, so if one device at full load costs
    more than the API for the same queries, the device is never cheaper).
    """
    per_day = HOURS_PER_DAY * device_per_hour
    out: dict[str, Any] = {"device_per_day": per_day, "capacity_per_day": None, "volume": None}
    if not pairs_per_second or not pairs_per_query:
        return out
    capacity = pairs_per_second * SECONDS_PER_DAY / pairs_per_query
    out["capacity_per_day"] = capacity
    if hosted_cost_per_query > 0:
        volume = per_day / hosted_cost_per_query
        out["volume"] = volume if volume <= capacity else None
    return out


# --------------------------------------------------------------------------- the table


def _pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _best(
    means: Mapping[str, float], pairs: Mapping[tuple[str, str], dict[str, Any]], alpha: float
) -> list[str]:
    """Columns no other column beats significantly: for every Y with a higher mean than X on
    the headline metric, the paired test of X against Y gives p >= alpha. The top column is
    always among them."""
    best = []
    for x in means:
        beaten = False
        for y in means:
            if y == x:
                continue
            entry = pairs[_pair_key(x, y)]
            # The entry measures B - A; turn it into "y - x".
            delta = entry["delta"] if entry["b"] == y else -entry["delta"]
            if delta > 0 and entry["p_value"] < alpha:
                beaten = True
                break
        if not beaten:
            best.append(x)
    return best


def build_table(
    manifest: Mapping[str, Any],
    runs_root: PathLike,
    qrels: Qrels,
    settings: Settings,
    *,
    labels_name: str | None = None,
) -> dict[str, Any]:
    """The bake-off's table from its manifest and its columns' runs (JSON-ready)."""
    metric = manifest["metric"]
    alpha = float(manifest["alpha"])
    name, k = metric.partition("@")[0], int(metric.partition("@")[2])
    top_k = settings.run.top_k
    shown = list(dict.fromkeys([metric, f"recall@{top_k}", f"ndcg@{top_k}"]))
    if settings.qdrant.group_key:
        shown.append(f"chunk_coverage@{top_k}")
    reg = settings.regression
    columns: list[dict[str, Any]] = []
    dirs: dict[str, UPath] = {}
    for col in manifest["columns"]:
        row: dict[str, Any] = {
            key: col.get(key) for key in ("name", "backend", "model", "run_id", "status", "reason")
        }
        columns.append(row)
        if col["status"] != "completed":
            continue
        run_dir = runstore.find_run(runs_root, col["run_id"])
        dirs[col["name"]] = run_dir
        results = _column_metrics(run_dir, qrels, labels_name)
        row.update(
            run_dir=str(run_dir),
            unit=results["unit"],
            metrics={key: results["reranked"].get(key) for key in shown},
            retrieval={key: results["retrieval"].get(key) for key in shown},
            queries_evaluated=results["queries"]["evaluated"],
            **usage(run_dir),
            **_cost(run_dir, settings),
        )

    done = [c["name"] for c in columns if c["status"] == "completed"]
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for i, a in enumerate(done):
        for b in done[i + 1 :]:
            comparison = compare_runs(
                dirs[a],
                dirs[b],
                qrels,
                ks=[k],
                seed=reg.seed,
                n_resamples=reg.n_resamples,
                labels_name=labels_name,
            )
            entry = comparison["stages"]["reranked"][metric]
            pairs[_pair_key(a, b)] = {
                "a": a,
                "b": b,
                **{f: entry[f] for f in ("delta", "p_value", "wins", "losses", "ties", "n")},
            }
    by_name = {c["name"]: c for c in columns}
    for c in columns:
        if c["name"] in done and BASELINE in done and c["name"] != BASELINE:
            c["vs_baseline"] = pairs[_pair_key(BASELINE, c["name"])]  # none sorts first: A
    means = {n: by_name[n]["metrics"][metric] for n in done}
    best = _best(means, pairs, alpha)
    for c in columns:
        c["best"] = c["name"] in best

    hosted = [
        by_name[n]
        for n in done
        if by_name[n]["backend"] in HOSTED_BACKENDS and by_name[n]["cost_per_1k_queries"]
    ]
    cheapest_hosted = min(hosted, key=lambda c: c["cost_per_1k_queries"]) if hosted else None
    for c in columns:
        if c["name"] in done and c["backend"] in MODEL_BACKENDS and cheapest_hosted:
            c["dedicated_device"] = {
                "versus": cheapest_hosted["name"],
                **break_even(
                    c["pairs_per_second"],
                    c["pairs_per_query"],
                    settings.costs.device_per_hour,
                    cheapest_hosted["cost_per_1k_queries"] / 1000,
                ),
            }
    affordable = [by_name[n] for n in best if by_name[n]["cost_per_30_days"] is not None]
    cheapest_best = min(affordable, key=lambda c: c["cost_per_30_days"]) if affordable else None
    return {
        "bakeoff_id": manifest["bakeoff_id"],
        "metric": metric,
        "metric_name": name,
        "k": k,
        "stage": "reranked",
        "unit": next((c["unit"] for c in columns if "unit" in c), metrics.unit_of(None)),
        "shown": shown,
        "alpha": alpha,
        "baseline": BASELINE,
        "test": {
            "method": "paired sign-flip permutation test (compare_runs)",
            "seed": reg.seed,
            "n_resamples": reg.n_resamples,
        },
        "costs": {
            "currency": settings.costs.currency,
            "queries_per_day": settings.costs.queries_per_day,
            "device_per_hour": settings.costs.device_per_hour,
            "cohere_per_1k_search_units": settings.costs.cohere_per_1k_search_units,
        },
        "columns": columns,
        "pairs": list(pairs.values()),
        "best": best,
        "cheapest_best": cheapest_best["name"] if cheapest_best else None,
        "failed": [c["name"] for c in columns if c["status"] != "completed"],
    }


# --------------------------------------------------------------------------- rendering


def _num(value: float | None, spec: str = ".4f") -> str:
    return "-" if value is None else format(value, spec)


def _p(p: float | None) -> str:
    if p is None:
        return "-"
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _usage(c: Mapping[str, Any]) -> str:
    if c.get("search_units_per_query"):
        return f"{c['search_units_per_query']:.2f} SU"
    if c.get("device_seconds_per_query") is not None:
        return f"{c['device_seconds_per_query']:.2g} s"
    return "-"


def _volume(c: Mapping[str, Any]) -> str:
    dedicated = c.get("dedicated_device")
    if not dedicated:
        return "-"
    volume = dedicated["volume"]
    return "never" if volume is None else f"{volume:,.0f}/d"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.3g}"


def table_rows(table: Mapping[str, Any]) -> list[list[str]]:
    """Header and one row per column, as the terminal and the HTML report show them."""
    metric, shown = table["metric"], table["shown"]
    head = [
        "reranker",
        *shown,
        f"delta {metric}",
        "p",
        "W/L",
        "p50 ms",
        "p95 ms",
        "use/query",
        "per 1k q",
        "per 30 d",
        "GPU cheaper above",
    ]
    rows = [head]
    for c in table["columns"]:
        name = c["name"] + (" *" if c.get("best") else "")
        if c["status"] != "completed":
            rows.append([name, *(["-"] * len(shown)), "FAILED", *(["-"] * 8)])
            continue
        vs = c.get("vs_baseline")
        rows.append(
            [
                name,
                *(_num(c["metrics"][key]) for key in shown),
                _num(vs["delta"], "+.4f") if vs else "-",
                _p(vs["p_value"]) if vs else "-",
                f"{vs['wins']}/{vs['losses']}" if vs else "-",
                _ms(c["latency_p50_s"]),
                _ms(c["latency_p95_s"]),
                _usage(c),
                _num(c["cost_per_1k_queries"], ".4g"),
                _num(c["cost_per_30_days"], ",.2f"),
                _volume(c),
            ]
        )
    return rows


def notes(table: Mapping[str, Any]) -> list[str]:
    """The lines under the table: what '*' means, the pick, the break-even, the failures."""
    cost = table["costs"]
    cur, per_day = cost["currency"], cost["queries_per_day"]
    unit = metrics.describe_unit(table["unit"])
    lines = [
        f"unit: {unit}; deltas, p and W/L: {table['stage']} {table['metric']} against "
        f"'{table['baseline']}' ({table['test']['method']}, {table['test']['n_resamples']} "
        f"resamples); costs in {cur}, per 30 d at {per_day:,} new queries/day",
        f"* best on {table['metric']}: no other reranker is significantly better "
        f"(p < {table['alpha']:g}): {', '.join(table['best']) or 'none completed'}",
    ]
    if table["cheapest_best"]:
        lines.append(f"cheapest of those at {per_day:,} queries/day: {table['cheapest_best']}")
    for c in table["columns"]:
        d = c.get("dedicated_device")
        if not d:
            continue
        head = (
            f"{c['name']}: {c['pairs_per_second']:,.0f} pairs/s measured; a dedicated device "
            f"at {cost['device_per_hour']:g} {cur}/h ({d['device_per_day']:,.2f}/day) serves up "
            f"to {d['capacity_per_day']:,.0f} queries/day"
            if d["capacity_per_day"]
            else f"{c['name']}: no device seconds measured"
        )
        if d["volume"] is not None:
            tail = f"cheaper than {d['versus']} above {d['volume']:,.0f} queries/day"
        else:
            tail = f"never cheaper than {d['versus']} at that throughput"
        lines.append(f"{head}; {tail}")
    for c in table["columns"]:
        if c["status"] != "completed":
            lines.append(f"FAILED {c['name']} (run {c['run_id']}): {c['reason']}")
    if table["failed"]:
        lines.append(f"finish them with: rerankflow bakeoff --resume {table['bakeoff_id']}")
    return lines


def format_table(table: Mapping[str, Any]) -> str:
    rows = table_rows(table)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, row in enumerate(rows):
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in pairs]
        out.append("  ".join(cells).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join([f"bake-off {table['bakeoff_id']}", *out, "", *notes(table)])


def format_markdown(table: Mapping[str, Any]) -> str:
    """For the Prefect artifact (and the README)."""
    rows = table_rows(table)
    lines = ["| " + " | ".join(rows[0]) + " |", "|---" + "|---:" * (len(rows[0]) - 1) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join([*lines, "", *(f"- {line}" for line in notes(table))])
