"""Reference values from pytrec_eval (trec_eval's own code): the same metrics computed by a
second engine, for the tests that check the DuckDB SQL against it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
import pytrec_eval

from config.settings import METRIC_NAMES
from tasks.types import Qrels

TOL = 1e-9
Run = dict[str, dict[str, float]]


def truncate(run: Run, k: int) -> Run:
    """Top k of each query in trec_eval order (score desc at C float precision, doc_id desc)."""
    out: Run = {}
    for qid, docs in run.items():
        with np.errstate(over="ignore"):  # beyond float32's range: inf, as in C
            ranked = sorted(
                docs.items(), key=lambda item: (np.float32(item[1]), item[0]), reverse=True
            )
        out[qid] = dict(ranked[:k])
    return out


def reference_per_query(
    qrels: Qrels, run: Run, ks: Sequence[int]
) -> dict[str, dict[int, dict[str, float]]]:
    """pytrec_eval per-query values for labelled queries; missing ones count 0."""
    measures = set()
    for k in ks:
        measures |= {f"recall_{k}", f"P_{k}", f"success_{k}", f"ndcg_cut_{k}"}
    full = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    mrr_eval = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"})
    mrr = {k: mrr_eval.evaluate(truncate(run, k)) for k in ks}
    labelled = [q for q, docs in qrels.items() if any(rel > 0 for rel in docs.values())]
    out: dict[str, dict[int, dict[str, float]]] = {}
    for qid in labelled:
        res = full.get(qid, {})
        out[qid] = {
            k: {
                "recall": res.get(f"recall_{k}", 0.0),
                "precision": res.get(f"P_{k}", 0.0),
                "hit_rate": res.get(f"success_{k}", 0.0),
                "mrr": mrr[k].get(qid, {}).get("recip_rank", 0.0),
                "ndcg": res.get(f"ndcg_cut_{k}", 0.0),
            }
            for k in ks
        }
    return out


def reference_means(
    per_q: dict[str, dict[int, dict[str, float]]], ks: Sequence[int]
) -> dict[str, float]:
    return {
        f"{name}@{k}": sum(v[k][name] for v in per_q.values()) / len(per_q)
        for k in ks
        for name in METRIC_NAMES
    }


def assert_close(actual: dict[str, float], expected: dict[str, float]) -> None:
    assert set(actual) == set(expected)
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, abs=TOL, rel=0), key


def assert_diagnostics(result, ret_ref, rr_ref, labelled, fetch_k: int, top_k: int) -> None:
    """The run's diagnostics against ones derived from the pytrec_eval reference values."""
    n = len(labelled)
    hit_top = {q for q in labelled if ret_ref[q][top_k]["hit_rate"] > 0}
    hit_fetch = {q for q in labelled if ret_ref[q][fetch_k]["hit_rate"] > 0}
    rr_hit = {q for q in labelled if rr_ref[q][top_k]["hit_rate"] > 0}
    delta = {q: rr_ref[q][top_k]["ndcg"] - ret_ref[q][top_k]["ndcg"] for q in labelled}
    diag = result["diagnostics"]
    assert diag["retrieval_ceiling"] == result["retrieval"][f"recall@{fetch_k}"]
    assert diag["in_fetch_k_not_top_k"] == pytest.approx(len(hit_fetch - hit_top) / n, abs=TOL)
    assert diag["in_fetch_k_not_top_k_after"] == pytest.approx(len(hit_fetch - rr_hit) / n, abs=TOL)
    assert diag["headroom"] == pytest.approx(
        {
            "already_right": len(hit_top) / n,
            "fixable_by_reranking": len(hit_fetch - hit_top) / n,
            "not_retrieved": (n - len(hit_fetch)) / n,
        },
        abs=TOL,
    )
    assert diag[f"per_query_ndcg@{top_k}"] == {
        "improved": sum(d > TOL for d in delta.values()),
        "worse": sum(d < -TOL for d in delta.values()),
        "same": sum(abs(d) <= TOL for d in delta.values()),
    }
