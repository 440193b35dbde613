"""Metric speed: DuckDB SQL vs pytrec_eval vs ranx on the same synthetic run, as ratios.

100,000 queries x 50 candidates, 1-3 graded positives per query; recall, precision, hit-rate,
MRR and nDCG at k = 1, 3, 5, 10, 20, 50. Each engine starts from what it natively reads:
DuckDB from the Parquet file (as the pipeline does), pytrec_eval and ranx from Python dicts
already in memory (their construction from Parquet is not charged to them).

    .venv/bin/python benchmarks/metrics_speed.py [--queries N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KS = (1, 3, 5, 10, 20, 50)


def synthetic(n_queries: int, depth: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    n_docs = 200_000
    qids = np.repeat(np.arange(n_queries), depth).astype(str)
    doc_ids = rng.integers(0, n_docs, size=n_queries * depth).astype(str)
    scores = rng.random(n_queries * depth).round(3)  # rounding makes ties
    table = pa.table({"qid": qids, "doc_id": doc_ids, "retrieval_score": scores})
    # Drop duplicate (qid, doc_id) pairs: runs never hold them.
    table = table.group_by(["qid", "doc_id"]).aggregate([("retrieval_score", "max")])
    table = table.rename_columns(["qid", "doc_id", "retrieval_score"])
    run: dict[str, dict[str, float]] = {}
    for q, d, s in zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True):
        run.setdefault(q, {})[d] = s
    qrels: dict[str, dict[str, int]] = {}
    for q, docs in run.items():
        ids = list(docs)
        n_pos = int(rng.integers(1, 4))
        picks = rng.choice(len(ids), size=n_pos, replace=False)
        qrels[q] = {ids[i]: int(rng.integers(1, 4)) for i in picks}
        if rng.random() < 0.3:  # a positive that was not retrieved
            qrels[q][f"missing-{q}"] = 1
    return table, run, qrels


def time_duckdb(path: Path, qrels) -> float:
    import duckdb

    from tasks import evaluate

    t0 = time.perf_counter()
    con = duckdb.connect()
    evaluate.register_qrels(con, qrels)
    evaluate.ranking_metrics(con, evaluate.parquet_relation(path, "retrieval_score"), KS)
    return time.perf_counter() - t0


def time_pytrec(run, qrels) -> float:
    import pytrec_eval

    measures = {f"{m}.{','.join(map(str, KS))}" for m in ("recall", "P", "ndcg_cut", "success")}
    t0 = time.perf_counter()
    pytrec_eval.RelevanceEvaluator(qrels, measures | {"recip_rank"}).evaluate(run)
    return time.perf_counter() - t0


def time_parquet_to_dicts(path: Path) -> float:
    """What pytrec_eval and ranx need first when the run lives in Parquet (as ours does)."""
    t0 = time.perf_counter()
    table = pq.read_table(path)
    run: dict[str, dict[str, float]] = {}
    for q, d, s in zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True):
        run.setdefault(q, {})[d] = s
    return time.perf_counter() - t0


def time_ranx(run, qrels) -> float:
    from ranx import Qrels, Run, evaluate

    names = [f"{m}@{k}" for m in ("recall", "precision", "hit_rate", "mrr", "ndcg") for k in KS]
    small = {q: run[q] for q in list(run)[:50]}
    evaluate(Qrels({q: qrels[q] for q in small}), Run(small), names)  # numba compile, not timed
    t0 = time.perf_counter()
    evaluate(Qrels(qrels), Run(run), names)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--depth", type=int, default=50)
    args = parser.parse_args()
    table, run, qrels = synthetic(args.queries, args.depth)
    path = Path(tempfile.mkdtemp()) / "candidates.parquet"
    pq.write_table(table, path)
    print(
        f"{len(run):,} queries, {table.num_rows:,} run rows, "
        f"{sum(map(len, qrels.values())):,} judgements; k = {KS}"
    )
    duck = time_duckdb(path, qrels)
    pytrec = time_pytrec(run, qrels)
    ranx = time_ranx(run, qrels)
    load = time_parquet_to_dicts(path)
    rows = [
        ("DuckDB, from Parquet", duck),
        ("pytrec_eval, dicts in memory", pytrec),
        ("pytrec_eval + Parquet to dicts", pytrec + load),
        ("ranx, dicts in memory (compiled)", ranx),
        ("ranx + Parquet to dicts", ranx + load),
    ]
    for name, secs in rows:
        print(f"{name:<34} {secs:7.2f} s   {secs / duck:5.2f}x DuckDB's time")
    print("(pytrec_eval computes MRR uncut only: trec_eval has no MRR@k)")


if __name__ == "__main__":
    main()
