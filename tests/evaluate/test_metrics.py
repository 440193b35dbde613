"""DuckDB metrics against pytrec_eval, plus hand-computed diagnostics."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from config.settings import METRIC_NAMES
from tasks.evaluate.metrics import DEFAULT_KS, evaluate_run, per_query, ranking_metrics
from tasks.evaluate.sql import parquet_relation, register_qrels
from tasks.report.metrics_table import format_table, headline_lines
from tasks.rerank.batch import tie_break_order
from tasks.types import InputError, Qrels
from tests.helpers.reference import (
    TOL,
    Run,
    assert_close,
    assert_diagnostics,
    reference_means,
    reference_per_query,
    truncate,
)

# (name, fetch_k, top_k, ks)
SHAPES = [
    ("default", 10, 5, DEFAULT_KS),
    ("odd_cutoffs", 12, 7, (1, 2, 4, 7, 9, 30)),
    ("top_equals_fetch", 6, 6, (1, 3, 6)),
]


def _write_run_files(
    run_dir: Path,
    candidates: dict[str, list[tuple[str, float]]],
    reranked: dict[str, list[tuple[str, float]]],
    rng: random.Random,
) -> None:
    """Write the two Parquet files; stored rank columns are deliberately scrambled."""
    cand_rows: dict[str, list] = {
        "qid": [],
        "retrieval_rank": [],
        "doc_id": [],
        "retrieval_score": [],
    }
    retrieval_of: dict[tuple[str, str], tuple[int, float]] = {}
    for qid, docs in candidates.items():
        ranks = list(range(1, len(docs) + 1))
        rng.shuffle(ranks)
        for rank, (doc_id, score) in zip(ranks, docs, strict=True):
            cand_rows["qid"].append(qid)
            cand_rows["retrieval_rank"].append(rank)
            cand_rows["doc_id"].append(doc_id)
            cand_rows["retrieval_score"].append(score)
            retrieval_of[(qid, doc_id)] = (rank, score)
    rr_rows: dict[str, list] = {
        "qid": [],
        "rank": [],
        "doc_id": [],
        "rerank_score": [],
        "retrieval_rank": [],
        "retrieval_score": [],
    }
    for qid, docs in reranked.items():
        ranks = list(range(1, len(docs) + 1))
        rng.shuffle(ranks)
        for rank, (doc_id, score) in zip(ranks, docs, strict=True):
            r_rank, r_score = retrieval_of.get((qid, doc_id), (0, 0.0))
            rr_rows["qid"].append(qid)
            rr_rows["rank"].append(rank)
            rr_rows["doc_id"].append(doc_id)
            rr_rows["rerank_score"].append(score)
            rr_rows["retrieval_rank"].append(r_rank)
            rr_rows["retrieval_score"].append(r_score)
    cand_schema = pa.schema(
        [
            ("qid", pa.string()),
            ("retrieval_rank", pa.int32()),
            ("doc_id", pa.string()),
            ("retrieval_score", pa.float32()),
        ]
    )
    rr_schema = pa.schema(
        [
            ("qid", pa.string()),
            ("rank", pa.int32()),
            ("doc_id", pa.string()),
            ("rerank_score", pa.float64()),
            ("retrieval_rank", pa.int32()),
            ("retrieval_score", pa.float32()),
        ]
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cand_rows, schema=cand_schema), run_dir / "candidates.parquet")
    pq.write_table(pa.table(rr_rows, schema=rr_schema), run_dir / "reranked.parquet")


def _read_run(path: Path, score_column: str) -> Run:
    """The run exactly as stored (float32 scores widened to the same doubles DuckDB sees)."""
    table = pq.read_table(path, columns=["qid", "doc_id", score_column]).to_pylist()
    run: Run = {}
    for row in table:
        run.setdefault(row["qid"], {})[row["doc_id"]] = float(row[score_column])
    return run


def _random_case(
    seed: int, fetch_k: int, top_k: int
) -> tuple[Qrels, dict[str, list[tuple[str, float]]], dict[str, list[tuple[str, float]]]]:
    """Random labels and runs with score ties, short lists and every kind of query mismatch."""
    rng = random.Random(seed)
    qrels: Qrels = {}
    candidates: dict[str, list[tuple[str, float]]] = {}
    reranked: dict[str, list[tuple[str, float]]] = {}
    for i in range(60):
        qid = f"q{i}"
        # Mixed-length ids so byte-order tie-breaks ("d9" > "d10") are exercised.
        pool = [f"d{n}" for n in rng.sample(range(1, 200), 25)]
        kind = rng.random()
        in_run = kind > 0.1  # ~10% of labelled queries are absent from the run
        labelled = kind < 0.85  # ~15% of run queries carry no labels
        if labelled:
            judged = rng.sample(pool, rng.randint(1, 12))
            grades = {doc: rng.choice([0, 0, 1, 1, 2, 3]) for doc in judged}
            if rng.random() < 0.1:
                grades = dict.fromkeys(judged, 0)  # judged but nothing relevant: unlabelled
            qrels[qid] = grades
        if in_run or not labelled:
            n = fetch_k if rng.random() > 0.15 else rng.randint(1, fetch_k)
            docs = rng.sample(pool, n)
            # Coarse scores so ties are frequent.
            candidates[qid] = [(d, rng.choice([0.1, 0.25, 0.5, 0.75, 1.5])) for d in docs]
            rr_docs = rng.sample(docs, min(top_k, len(docs)))
            reranked[qid] = [(d, rng.choice([-1.0, 0.0, 0.3, 2.0])) for d in rr_docs]
    # Some labelled queries whose relevant docs never show up in the run.
    qrels["q_lonely"] = {"nowhere": 2, "also_nowhere": 1}
    return qrels, candidates, reranked


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize(("shape", "fetch_k", "top_k", "ks"), SHAPES, ids=[s[0] for s in SHAPES])
def test_evaluate_run_matches_pytrec_eval(
    tmp_path: Path, seed: int, shape: str, fetch_k: int, top_k: int, ks: Sequence[int]
) -> None:
    qrels, candidates, reranked = _random_case(seed, fetch_k, top_k)
    _write_run_files(tmp_path, candidates, reranked, random.Random(seed))
    ret_run = _read_run(tmp_path / "candidates.parquet", "retrieval_score")
    rr_run = _read_run(tmp_path / "reranked.parquet", "rerank_score")

    result = evaluate_run(tmp_path, qrels, fetch_k=fetch_k, top_k=top_k, ks=ks)
    json.dumps(result)  # must be serialisable as-is

    ret_ks = sorted({k for k in ks if k <= fetch_k} | {fetch_k})
    rr_ks = [k for k in ks if k <= top_k]
    ret_ref = reference_per_query(qrels, ret_run, sorted(set(ret_ks) | {top_k}))
    rr_ref = reference_per_query(qrels, rr_run, sorted(set(rr_ks) | {top_k}))
    assert_close(result["retrieval"], reference_means(ret_ref, ret_ks))
    assert_close(result["reranked"], reference_means(rr_ref, rr_ks))

    labelled = set(ret_ref)
    in_run = set(candidates)
    relevant = {d for q in labelled for d, rel in qrels[q].items() if rel > 0}
    seen = {d for docs in candidates.values() for d, _ in docs}
    assert result["queries"] == {
        "in_run": len(in_run),
        "labelled": len(labelled),
        "evaluated": len(labelled),
        "unlabelled_in_run": len(in_run - labelled),
        "labelled_missing_from_run": len(labelled - in_run),
        "failed_rerank": 0,
        "label_ids": len(relevant),
        "label_ids_not_in_run": len(relevant - seen),
    }
    # The generator must really produce the awkward cases this test is about.
    assert result["queries"]["unlabelled_in_run"] > 0
    assert result["queries"]["labelled_missing_from_run"] > 0

    assert_diagnostics(result, ret_ref, rr_ref, labelled, fetch_k, top_k)


@pytest.mark.parametrize("seed", [10, 11, 12])
def test_per_query_matches_pytrec_eval(tmp_path: Path, seed: int) -> None:
    qrels, candidates, reranked = _random_case(seed, fetch_k=15, top_k=8)
    _write_run_files(tmp_path, candidates, reranked, random.Random(seed))
    ks = [1, 2, 3, 5, 8, 15, 40]
    con = duckdb.connect()
    register_qrels(con, qrels)
    for file, column in [
        ("candidates.parquet", "retrieval_score"),
        ("reranked.parquet", "rerank_score"),
    ]:
        path = tmp_path / file
        got = per_query(con, parquet_relation(path, column), ks)
        expected = reference_per_query(qrels, _read_run(path, column), ks)
        assert set(got) == set(expected)
        for qid, by_k in expected.items():
            for k, values in by_k.items():
                for name, value in values.items():
                    assert got[qid][k][name] == pytest.approx(value, abs=TOL, rel=0), (qid, k, name)


def test_ranking_metrics_tie_break_and_duplicates() -> None:
    con = duckdb.connect()
    register_qrels(con, {"q": {"a": 2, "b": 0, "c": 1, "x": 3}})
    # b and c tie: doc_id DESC puts c first. The duplicate a keeps its higher score 3.0.
    run = (
        "SELECT * FROM (VALUES ('q','a',1.0),('q','b',2.0),('q','c',2.0),('q','a',3.0)) "
        "AS t(qid, doc_id, score)"
    )
    got = ranking_metrics(con, run, [1, 2])
    assert got["precision@1"] == 1.0  # a (3.0) first
    assert got["recall@2"] == pytest.approx(2 / 3)  # a, c of {a, c, x}
    assert got["mrr@1"] == 1.0
    ideal = 3 + 2 / 1.584962500721156
    assert got["ndcg@2"] == pytest.approx((2 + 1 / 1.584962500721156) / ideal, abs=TOL)
    assert list(got) == [f"{m}@{k}" for k in (1, 2) for m in METRIC_NAMES]


def test_scores_closer_than_float32_tie_as_in_trec_eval(tmp_path: Path) -> None:
    """trec_eval keeps scores as C float: 0.5 and 0.5 + 1e-12 tie there, and doc_id DESC
    decides. Our SQL and the pipeline's stored order must agree with pytrec_eval."""
    eps = 1e-12  # far below float32 resolution near 0.5 (~3e-8), far above double's
    assert np.float32(0.5) == np.float32(0.5 + eps) and 0.5 + eps != 0.5
    qrels: Qrels = {"q": {"a": 1}, "r": {"z": 1}, "s": {"m": 2, "k": 1}}
    run: Run = {
        # In double a is first; at float precision a ties b and b (doc_id DESC) goes first.
        "q": {"a": 0.5 + eps, "b": 0.5, "c": 0.1},
        # The other way round: z already wins the tie-break, the tiny edge changes nothing.
        "r": {"z": 0.5, "y": 0.5 + eps},
        # Beyond float32's range C gives inf: m and k tie at +inf, m (DESC) first.
        "s": {"k": 1e300, "m": 1e299, "j": -1e300},
    }
    candidates = {q: list(docs.items()) for q, docs in run.items()}
    _write_run_files(tmp_path, candidates, candidates, random.Random(0))
    ks = [1, 2, 3]
    expected = reference_per_query(qrels, run, ks)
    assert expected["q"][1]["recall"] == 0.0 and expected["q"][2]["mrr"] == 0.5  # b first
    assert expected["s"][1]["hit_rate"] == 1.0 and expected["s"][1]["ndcg"] == 1.0  # m first
    con = duckdb.connect()
    register_qrels(con, qrels)
    got = per_query(con, parquet_relation(tmp_path / "reranked.parquet", "rerank_score"), ks)
    for qid, by_k in expected.items():
        for k, values in by_k.items():
            for name, value in values.items():
                assert got[qid][k][name] == pytest.approx(value, abs=TOL, rel=0), (qid, k, name)
    # The pipeline's stored ranks follow the same order.
    for qid, docs in run.items():
        ids, scores = list(docs), list(docs.values())
        order = [ids[i] for i in tie_break_order(scores, ids)]
        assert order == list(truncate(run, len(ids))[qid]), qid


def _hand_case(run_dir: Path) -> Qrels:
    """fetch_k=4, top_k=2; each labelled query has exactly one relevant doc "r"."""
    candidates = {
        "qA": [("r", 4.0), ("n1", 3.0), ("n2", 2.0), ("n3", 1.0)],  # right at rank 1
        "qB": [("n1", 4.0), ("n2", 3.0), ("r", 2.0), ("n3", 1.0)],  # rank 3: fixable
        "qC": [("n1", 4.0), ("n2", 3.0), ("n3", 2.0), ("n4", 1.0)],  # not retrieved
        "qD": [("n1", 4.0), ("r", 3.0), ("n2", 2.0), ("n3", 1.0)],  # right at rank 2
        "qF": [("n1", 4.0), ("n2", 3.0), ("n3", 2.0), ("r", 1.0)],  # rank 4: fixable
        "qU": [("n1", 1.0)],  # in run, no labels
        "qZ": [("z", 1.0)],  # in run, judged but nothing relevant
    }
    reranked = {
        "qA": [("r", 9.0), ("n1", 1.0)],  # same
        "qB": [("r", 9.0), ("n1", 1.0)],  # improved
        "qC": [("n1", 9.0), ("n2", 1.0)],  # same (0 -> 0)
        "qD": [("n1", 9.0), ("n2", 1.0)],  # worse: r dropped out of top_k
        "qF": [("r", 9.0), ("n1", 1.0)],  # improved
        "qU": [("n1", 1.0)],
        "qZ": [("z", 1.0)],
    }
    _write_run_files(run_dir, candidates, reranked, random.Random(0))
    qrels: Qrels = {q: {"r": 1, "n1": 0} for q in ["qA", "qB", "qC", "qD", "qE", "qF"]}
    qrels["qZ"] = {"z": 0}
    return qrels  # qE is labelled but absent from the run


def test_diagnostics_hand_computed(tmp_path: Path) -> None:
    qrels = _hand_case(tmp_path)
    result = evaluate_run(tmp_path, qrels, fetch_k=4, top_k=2, ks=(1, 2, 3))
    assert result["queries"] == {
        "in_run": 7,
        "labelled": 6,
        "evaluated": 6,
        "unlabelled_in_run": 2,
        "labelled_missing_from_run": 1,
        "failed_rerank": 0,
        "label_ids": 1,  # "r", seen in the run
        "label_ids_not_in_run": 0,
    }
    diag = result["diagnostics"]
    assert diag["retrieval_ceiling"] == pytest.approx(4 / 6)
    assert diag["in_fetch_k_not_top_k"] == pytest.approx(2 / 6)  # qB, qF
    assert diag["in_fetch_k_not_top_k_after"] == pytest.approx(1 / 6)  # qD
    assert diag["headroom"] == pytest.approx(
        {"already_right": 2 / 6, "fixable_by_reranking": 2 / 6, "not_retrieved": 2 / 6}
    )
    assert diag["per_query_ndcg@2"] == {"improved": 2, "worse": 1, "same": 3}
    assert set(result["retrieval"]) == {f"{m}@{k}" for k in (1, 2, 3, 4) for m in METRIC_NAMES}
    assert set(result["reranked"]) == {f"{m}@{k}" for k in (1, 2) for m in METRIC_NAMES}
    # Retrieval hits@1: qA only; reranked hits@1: qA, qB, qF.
    assert result["retrieval"]["hit_rate@1"] == pytest.approx(1 / 6)
    assert result["reranked"]["hit_rate@1"] == pytest.approx(3 / 6)
    assert result["retrieval"]["mrr@3"] == pytest.approx((1 + 1 / 3 + 1 / 2) / 6)


def test_format_table(tmp_path: Path) -> None:
    qrels = _hand_case(tmp_path)
    result = evaluate_run(tmp_path, qrels, fetch_k=4, top_k=2, ks=(1, 2, 3))
    table = format_table(result)
    lines = table.splitlines()
    assert lines[0].split() == ["metric", "retrieval", "reranked", "delta"]
    hit1 = next(line for line in lines if line.startswith("hit_rate@1 "))
    assert hit1.split() == ["hit_rate@1", "0.1667", "0.5000", "+0.3333"]
    # k=3 exceeds top_k: no reranked value, no delta.
    assert next(line for line in lines if line.startswith("ndcg@3 ")).split()[2:] == ["-", "-"]
    assert "improved 2, worse 1, same 3" in table
    assert "fixable by reranking 0.3333" in table


def test_headline_reranking_then_headroom_then_cost(tmp_path: Path) -> None:
    qrels = _hand_case(tmp_path)
    result = evaluate_run(tmp_path, qrels, fetch_k=4, top_k=2, ks=(1, 2, 3))
    lines = headline_lines(result, top_k=2, fetch_k=4, backend="bm25", cost=None)
    # recall@2: qA, qB before (2/6); qA, qB, qF after (3/6). Ceiling 4/6; qB, qF fixable
    # before (2/6), qD after (1/6): the figures test_diagnostics_hand_computed checks.
    assert lines == [
        "recall@2: 0.3333 retrieval -> 0.5000 after bm25 reranking (+0.1667)",
        "retrieval ceiling recall@4: 0.6667; fixable by reranking: 33.3% of queries "
        "(relevant in the top 4, not the top 2; 16.7% after reranking)",
        "cost per 1,000 queries: free (bm25 scores on the retrieving CPU worker: "
        "no device, no API)",
    ]


def test_headline_cost_from_the_run_call_log(tmp_path: Path) -> None:
    from config.settings import CostSettings
    from tasks.calls.calllog import calls_table
    from tasks.costs import run_cost_summary
    from tasks.runs.layout import CALLS_FILE

    prices = CostSettings(cohere_per_1k_search_units=2.0, device_per_hour=3.6)
    paid = [
        {"backend": "cohere", "model": "m", "qid": f"q{i}", "search_units": 1} for i in range(4)
    ]
    local = [
        {"backend": "flag", "model": "m", "qid": f"q{i}", "device_seconds": 0.5} for i in range(4)
    ]
    lines = {}
    for backend, rows in (("cohere", paid), ("flag", local)):
        run_dir = tmp_path / backend
        run_dir.mkdir()
        pq.write_table(calls_table(rows, "R", 0), run_dir / CALLS_FILE)
        lines[backend] = headline_lines(
            {}, top_k=2, fetch_k=4, backend=backend, cost=run_cost_summary(run_dir, prices)
        )[-1]
    # 1 search unit a query at 2 per 1,000 units; 0.5 device s a query at 3.6 an hour.
    assert lines["cohere"] == "cost per 1,000 queries: 2 USD (4 search units in all)"
    assert lines["flag"] == "cost per 1,000 queries: 0.5 USD (estimate: 2 device s in all)"
    no_log = headline_lines({}, top_k=2, fetch_k=4, backend="cohere", cost=None)
    assert no_log[0] == "recall@2: - retrieval -> - after cohere reranking (-)"
    assert no_log[-1] == "cost per 1,000 queries: unknown (the run has no call log)"
    plain = headline_lines({}, top_k=2, fetch_k=4, backend="none", cost=None)
    assert plain[0] == "recall@2: - (retrieval order: reranker none)"
    assert plain[-1] == "cost per 1,000 queries: free (no reranker)"


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="candidates.parquet"):
        evaluate_run(tmp_path, {"q": {"d": 1}}, fetch_k=4, top_k=2)
    _hand_case(tmp_path)
    with pytest.raises(InputError, match="top_k"):
        evaluate_run(tmp_path, {"q": {"d": 1}}, fetch_k=2, top_k=4)
    with pytest.raises(InputError, match="cutoffs"):
        evaluate_run(tmp_path, {"q": {"d": 1}}, fetch_k=4, top_k=2, ks=(0, 1))


def test_failed_queries_are_left_out_of_both_sides(tmp_path: Path) -> None:
    """A query whose rerank failed (failed.parquet) is not counted as a reranking loss."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    qrels = _hand_case(tmp_path)
    # qD was the query reranking made worse; as a failure it must not count at all.
    pq.write_table(pa.table({"qid": ["qD"], "reason": ["HTTP 503"]}), tmp_path / "failed.parquet")
    result = evaluate_run(tmp_path, qrels, fetch_k=4, top_k=2, ks=(1, 2, 3))
    assert result["queries"]["failed_rerank"] == 1
    assert result["queries"]["evaluated"] == 5
    diag = result["diagnostics"]
    assert diag["retrieval_ceiling"] == pytest.approx(3 / 5)
    assert diag["per_query_ndcg@2"]["worse"] == 0
