"""One side of a comparison: a run directory read for pairing, and what two runs must share.

A run is read from its manifest when it has one (fetch_k, top_k, ks, hashes, the unit its
`qdrant.group_key` sets), else from its files. Two runs compare only over the same queries
and in the same unit; what differs but still compares (corpus, labels, collection, cutoffs)
becomes a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
from upath import UPath

from config.settings import Stage
from tasks.evaluate.checks import check_run_file, check_unit_columns
from tasks.evaluate.metrics import describe_unit, unit_of
from tasks.evaluate.sql import read_parquet_sql, run_relation
from tasks.runs.layout import CANDIDATES_FILE, MANIFEST_FILE, RERANKED_FILE, run_id_of
from tasks.runs.manifest import RunManifest, has_manifest, read_manifest
from tasks.runs.runstore import failed_qids
from tasks.types import InputError

STAGE_FILES: dict[Stage, tuple[str, str]] = {
    "retrieval": (CANDIDATES_FILE, "retrieval_score"),
    "reranked": (RERANKED_FILE, "rerank_score"),
}
_CANDIDATE_COLUMNS = ("qid", "doc_id", "retrieval_score")
_RERANKED_COLUMNS = ("qid", "doc_id", "rerank_score")


@dataclass(frozen=True)
class ComparedRun:
    """A run as a comparison pairs it: where it is, its cutoffs, queries and unit."""

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
        file_name, score = STAGE_FILES[stage]
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


def load_run(con: duckdb.DuckDBPyConnection, label: str, run_dir: UPath) -> ComparedRun:
    """Run `label` ("A" or "B") of a comparison, its files checked for the columns it needs."""
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
    return ComparedRun(
        label=label,
        path=run_dir,
        manifest=manifest,
        run_id=run_id,
        fetch_k=fetch_k,
        top_k=top_k,
        ks=manifest.ks if manifest else (),
        qids=_distinct_qids(con, candidates),
        failed=frozenset(failed_qids(run_dir)),
        group_key=group_key,
    )


def _examples(qids: set[str] | frozenset[str], n: int = 3) -> str:
    shown = ", ".join(sorted(qids)[:n])
    return f" (e.g. {shown}{', ...' if len(qids) > n else ''})" if qids else ""


def check_same_queries(a: ComparedRun, b: ComparedRun) -> None:
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


def check_same_unit(a: ComparedRun, b: ComparedRun) -> None:
    """Refuse runs scored in different units: a group's recall is not a document's."""
    if a.group_key != b.group_key:
        raise InputError(
            f"{a.name} is scored at unit {describe_unit(unit_of(a.group_key))}, {b.name} at "
            f"unit {describe_unit(unit_of(b.group_key))}: runs measured in different units "
            "cannot be compared (compare runs with the same qdrant.group_key)"
        )


def _collection_changed(a: ComparedRun, b: ComparedRun) -> str:
    """A warning, not a failure: the data moved under the runs (a live collection does)."""
    ca, cb = ((run.manifest and run.manifest.collection) or {} for run in (a, b))
    names = sorted({str(c.get("name")) for c in (ca, cb) if c.get("name")})
    return (
        f"collection changed between the runs ({', '.join(names) or 'collection'}: "
        f"{ca.get('points', '?')} -> {cb.get('points', '?')} points, fingerprint "
        f"{a.hash('collection')} -> {b.hash('collection')}): differences may come from the "
        "data, not the pipeline"
    )


def pair_warnings(a: ComparedRun, b: ComparedRun) -> list[str]:
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
