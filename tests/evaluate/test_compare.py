"""Run comparison and regression gates: planted regressions, equal-quality reshuffles, and
agreement with `evaluate_run` on the same files (the permutation test: test_significance)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pytest
from pydantic import ValidationError

from config.settings import GateRule
from tasks.evaluate.compare import compare_runs
from tasks.evaluate.gates import evaluate_gate, evaluate_ops_gate
from tasks.evaluate.metrics import evaluate_run
from tasks.report.comparison import comparison_markdown, format_comparison
from tasks.runs.layout import CANDIDATES_SCHEMA, RERANKED_SCHEMA
from tasks.types import Qrels
from tests.helpers import REPO, runs

KS = (1, 3, 5, 10, 20)
FETCH_K, TOP_K = 20, 10
N_QUERIES = 60
Ranking = dict[str, list[str]]  # qid -> doc ids, best first

# --------------------------------------------------------------------------- run directories


def write_run(
    root: Path,
    run_id: str,
    candidates: Ranking,
    reranked: Ranking,
    *,
    query_set: str | None = "queries-v1",
    failed: Sequence[str] = (),
) -> Path:
    """A run directory as `rerank_batch` leaves it: Parquet files plus a manifest."""
    run_dir = root / "run_date=2024-05-01" / f"run_id={run_id}"
    cand: dict[str, list] = {name: [] for name in CANDIDATES_SCHEMA.names}
    rr: dict[str, list] = {name: [] for name in RERANKED_SCHEMA.names}
    for qid, docs in candidates.items():
        for i, doc_id in enumerate(docs):
            for name, value in zip(
                CANDIDATES_SCHEMA.names, (qid, i + 1, doc_id, 1.0 - i / 100, None), strict=True
            ):
                cand[name].append(value)
    for qid, docs in reranked.items():
        retrieval = candidates[qid]
        for i, doc_id in enumerate(docs):
            j = retrieval.index(doc_id)
            row = (qid, i + 1, doc_id, 10.0 - i, j + 1, 1.0 - j / 100, None)
            for name, value in zip(RERANKED_SCHEMA.names, row, strict=True):
                rr[name].append(value)
    hashes = {"labels": "labels-v1", "corpus": "corpus-v1", "query_set": query_set}
    return runs.write_run(
        run_dir,
        pa.table(cand, schema=CANDIDATES_SCHEMA),
        pa.table(rr, schema=RERANKED_SCHEMA),
        runs.run_manifest(run_id, fetch_k=FETCH_K, top_k=TOP_K, ks=KS, hashes=hashes),
        failed=dict.fromkeys(failed, "boom"),
    )


def qid(i: int) -> str:
    return f"q{i:02d}"


def rel_doc(q: str) -> str:
    return f"{q}-rel"


def place(q: str, rel_pos: int | None, length: int, fillers: Sequence[str] | None = None) -> list:
    """`length` docs for `q` with its relevant doc at 1-based `rel_pos` (None: absent)."""
    docs = list(fillers if fillers is not None else [f"{q}-n{i:02d}" for i in range(FETCH_K)])
    docs = docs[: length - (rel_pos is not None)]
    if rel_pos is not None:
        docs.insert(rel_pos - 1, rel_doc(q))
    return docs


def one_relevant_qrels(n: int = N_QUERIES) -> Qrels:
    return {qid(i): {rel_doc(qid(i)): 1, f"{qid(i)}-n00": 0} for i in range(n)}


def baseline_positions(seed: int = 3) -> dict[str, tuple[int | None, int | None]]:
    """qid -> (retrieval rank, reranked rank) of its relevant doc: a decent baseline."""
    rng = random.Random(seed)
    out = {}
    for i in range(N_QUERIES):
        ret = rng.randint(1, FETCH_K)
        rr = rng.randint(1, 3) if rng.random() < 0.8 else rng.randint(6, TOP_K)
        out[qid(i)] = (ret, rr)
    return out


def rankings(positions: Mapping[str, tuple[int | None, int | None]]) -> tuple[Ranking, Ranking]:
    cand = {q: place(q, ret, FETCH_K) for q, (ret, _) in positions.items()}
    fillers = {q: [d for d in cand[q] if d != rel_doc(q)] for q in positions}
    rr = {q: place(q, pos, TOP_K, fillers[q]) for q, (_, pos) in positions.items()}
    return cand, rr


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    return write_run(tmp_path, "A", *rankings(baseline_positions()))


RECALL5 = GateRule(stage="reranked", metric="recall@5", max_drop=0.02)


# --------------------------------------------------------------------------- quality gate


def test_gate_trips_on_planted_regression(baseline: Path, tmp_path: Path) -> None:
    positions = baseline_positions()
    in_top5 = sorted(q for q, (_, rr) in positions.items() if rr <= 5)
    planted = in_top5[: int(0.4 * N_QUERIES)]  # 40% of queries lose their top-5 hit
    worse = {q: (ret, 8 if q in planted else rr) for q, (ret, rr) in positions.items()}
    candidate = write_run(tmp_path, "B", *rankings(worse))

    comparison = compare_runs(baseline, candidate, one_relevant_qrels())
    entry = comparison["stages"]["reranked"]["recall@5"]
    assert entry["delta"] == pytest.approx(-len(planted) / N_QUERIES)
    assert (entry["wins"], entry["losses"], entry["ties"]) == (0, len(planted), 36)
    assert entry["p_value"] < 0.001
    assert [w["qid"] for w in entry["worst"]] == planted[:5]
    assert all(w["delta"] == -1.0 for w in entry["worst"])
    # Retrieval did not change: every retrieval metric is all ties, p = 1.
    assert all(
        e["delta"] == 0 and e["p_value"] == 1.0 for e in comparison["stages"]["retrieval"].values()
    )

    result = evaluate_gate(
        comparison, [RECALL5, GateRule(stage="retrieval", metric="recall@5", max_drop=0.0)]
    )
    assert not result.passed
    check = result.checks[0]
    assert check.tripped and not result.checks[1].tripped
    assert check.message.startswith(f"reranked recall@5 dropped {-entry['delta']:.3f} (")
    assert f"worst queries: {planted[0]} (-1.00), {planted[1]} (-1.00)" in check.message

    text = format_comparison(comparison, result)
    assert "FAIL  reranked recall@5 dropped" in text and "gate (fail mode): FAILED" in text
    md = comparison_markdown(comparison, result)
    assert "| reranked | recall@5 |" in md and "**FAIL**" in md
    json.dumps(comparison, allow_nan=False)
    json.dumps(result.to_dict(), allow_nan=False)


def _swap_ranks(positions: Mapping[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Reverse the reranked ranks across queries: same multiset, some win, some lose."""
    qids = list(positions)
    ranks = [positions[q][1] for q in reversed(qids)]
    return {q: (positions[q][0], r) for q, r in zip(qids, ranks, strict=True)}


def _shuffle_non_relevant(cand: Ranking, rr: Ranking) -> Ranking:
    rng = random.Random(11)
    out = {}
    for q, docs in rr.items():
        others = [d for d in docs if d != rel_doc(q)]
        rng.shuffle(others)
        out[q] = [rel_doc(q) if d == rel_doc(q) else others.pop() for d in docs]
    return out


@pytest.mark.parametrize("reshuffle", ["swap_ranks", "shuffle_non_relevant"])
def test_gate_ignores_equal_quality_reshuffle(
    baseline: Path, tmp_path: Path, reshuffle: str
) -> None:
    positions = baseline_positions()
    if reshuffle == "swap_ranks":
        cand, rr = rankings(_swap_ranks(positions))
    else:
        cand, rr = rankings(positions)
        rr = _shuffle_non_relevant(cand, rr)
    candidate = write_run(tmp_path, "B", cand, rr)
    comparison = compare_runs(baseline, candidate, one_relevant_qrels())
    entry = comparison["stages"]["reranked"]["recall@5"]
    assert entry["delta"] == pytest.approx(0.0, abs=1e-12)
    if reshuffle == "swap_ranks":
        assert entry["wins"] == entry["losses"] > 0
    rules = [RECALL5, GateRule(stage="reranked", metric="ndcg@10", max_drop=0.0)]
    result = evaluate_gate(comparison, rules)
    assert result.passed and not result.tripped


def test_gate_ignores_small_insignificant_dip(baseline: Path, tmp_path: Path) -> None:
    positions = baseline_positions()
    hit = sorted(q for q, (_, rr) in positions.items() if rr <= 5)[:2]
    dipped = {q: (ret, 8 if q in hit else rr) for q, (ret, rr) in positions.items()}
    candidate = write_run(tmp_path, "B", *rankings(dipped))
    comparison = compare_runs(baseline, candidate, one_relevant_qrels(), n_resamples=2000)
    entry = comparison["stages"]["reranked"]["recall@5"]
    assert entry["delta"] == pytest.approx(-2 / N_QUERIES)  # beyond max_drop 0.02 ...
    assert entry["p_value"] > 0.05  # ... but two queries are noise
    result = evaluate_gate(comparison, [RECALL5])
    assert result.passed
    assert "not significant" in result.checks[0].message


def test_gate_rule_validation_and_missing_metric(baseline: Path, tmp_path: Path) -> None:
    candidate = write_run(tmp_path, "B", *rankings(baseline_positions()))
    comparison = compare_runs(baseline, candidate, one_relevant_qrels(), ks=(5,))
    assert comparison["ks"] == {"retrieval": [5, FETCH_K], "reranked": [5]}
    with pytest.raises(ValueError, match="reranked recall@20: not in the comparison"):
        evaluate_gate(comparison, [GateRule(stage="reranked", metric="recall@20", max_drop=0)])
    with pytest.raises(ValidationError, match="recall@5"):
        GateRule(stage="reranked", metric="recal@5", max_drop=0.1)
    with pytest.raises(ValidationError):
        GateRule(stage="reranked", metric="recall@5", max_drop=-0.1)


# --------------------------------------------------------------------------- query sets


def test_differing_query_sets_are_refused(baseline: Path, tmp_path: Path) -> None:
    positions = baseline_positions()
    fewer = {q: p for q, p in positions.items() if q != qid(0)}
    other = write_run(tmp_path, "B", *rankings(fewer), query_set="queries-v2")
    with pytest.raises(
        ValueError, match=r"hashes.query_set.*1 qid\(s\) only in run A \(e.g. q00\)"
    ):
        compare_runs(baseline, other, one_relevant_qrels())

    no_hash_a = write_run(tmp_path, "A2", *rankings(positions), query_set=None)
    no_hash_b = write_run(tmp_path, "B2", *rankings(fewer), query_set=None)
    with pytest.raises(ValueError, match=r"run B \(B2, .*1 qid\(s\) only in run A"):
        compare_runs(no_hash_a, no_hash_b, one_relevant_qrels())


# --------------------------------------------------------------------------- agreement


def _random_runs(tmp_path: Path) -> tuple[Path, Path, Qrels]:
    """Two random runs over graded labels (1-3 relevant docs a query) and one unlabelled query."""
    rng = random.Random(17)
    qrels: Qrels = {}
    runs: list[tuple[Ranking, Ranking]] = [({}, {}), ({}, {})]
    for i in range(30):
        q = qid(i)
        pool = [f"{q}-d{j:02d}" for j in range(40)]
        if i < 29:  # the last query is unlabelled
            qrels[q] = {d: rng.choice([1, 2]) for d in rng.sample(pool, rng.randint(1, 3))}
            qrels[q][pool[0]] = 0
        for cand, rr in runs:
            cand[q] = rng.sample(pool, FETCH_K)
            rr[q] = rng.sample(cand[q], TOP_K)
    a = write_run(tmp_path, "A", *runs[0])
    b = write_run(tmp_path, "B", *runs[1])
    return a, b, qrels


def test_means_and_deltas_agree_with_evaluate_run(tmp_path: Path) -> None:
    a, b, qrels = _random_runs(tmp_path)
    comparison = compare_runs(a, b, qrels, n_resamples=200)
    assert comparison["queries"]["compared"] == 29
    assert comparison["queries"]["unlabelled_in_runs"] == 1
    want_a = evaluate_run(a, qrels, FETCH_K, TOP_K, KS)
    want_b = evaluate_run(b, qrels, FETCH_K, TOP_K, KS)
    for stage in ("retrieval", "reranked"):
        entries = comparison["stages"][stage]
        assert set(entries) == set(want_a[stage])
        for key, e in entries.items():
            assert e["mean_a"] == pytest.approx(want_a[stage][key], abs=1e-12)
            assert e["mean_b"] == pytest.approx(want_b[stage][key], abs=1e-12)
            assert e["delta"] == pytest.approx(want_b[stage][key] - want_a[stage][key], abs=1e-12)
            assert e["wins"] + e["losses"] + e["ties"] == 29


def test_failed_rerank_is_left_out_of_both_runs(tmp_path: Path) -> None:
    positions = baseline_positions()
    a = write_run(tmp_path, "A", *rankings(positions))
    cand, rr = rankings(positions)
    rr.pop(qid(1))
    b = write_run(tmp_path, "B", cand, rr, failed=[qid(1)])
    comparison = compare_runs(a, b, one_relevant_qrels(), n_resamples=200)
    assert comparison["queries"]["compared"] == N_QUERIES - 1
    assert comparison["queries"]["failed_rerank_excluded"] == 1
    assert all(e["losses"] == 0 for e in comparison["stages"]["reranked"].values())


def _one_query_differs(tmp_path: Path) -> tuple[Path, Path]:
    """Runs equal but for q00, whose relevant doc is first in A and not retrieved in B."""
    positions = {**baseline_positions(), qid(0): (1, 1)}
    a = write_run(tmp_path, "A", *rankings(positions))
    b = write_run(tmp_path, "B", *rankings({**positions, qid(0): (None, None)}))
    return a, b


def test_one_differing_query_compares_with_p_one(tmp_path: Path) -> None:
    a, b = _one_query_differs(tmp_path)
    comparison = compare_runs(a, b, one_relevant_qrels())
    for stage in ("retrieval", "reranked"):
        for key, entry in comparison["stages"][stage].items():
            if key.startswith("precision"):
                continue  # precision@k moves by 1/k: still one query
            assert (entry["wins"], entry["losses"]) == (0, 1), (stage, key)
            assert entry["delta"] == pytest.approx(-1 / N_QUERIES)
            assert entry["p_value"] == 1.0, (stage, key)
    # A drop beyond max_drop on one query is not significant: the gate passes and says why.
    result = evaluate_gate(
        comparison, [GateRule(stage="retrieval", metric="recall@20", max_drop=0)]
    )
    assert result.passed and "beyond max_drop 0 but not significant" in result.checks[0].message
    assert "q00 (-1.00)" in result.checks[0].message


def test_one_differing_query_through_the_cli(tmp_path: Path) -> None:
    a, b = _one_query_differs(tmp_path)
    labels = tmp_path / "qrels.tsv"
    rows = [f"{q}\t{d}\t{r}" for q, docs in one_relevant_qrels().items() for d, r in docs.items()]
    labels.write_text("query-id\tcorpus-id\tscore\n" + "\n".join(rows) + "\n", encoding="utf-8")
    for run in (a, b):  # as rerank_batch writes it: the CLI reads config.dataset
        manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        manifest["config"]["dataset"] = {"labels": None}
        (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "compare", str(a), str(b), "--labels", str(labels)]
        + ["--json", "--set", f"run.runs_root={tmp_path}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    verdict = json.loads(done.stdout)
    assert verdict["passed"]
    quality = verdict["gates"][0]["checks"]
    assert [c["metric"] for c in quality] == ["recall@5", "ndcg@10", "recall@20"]
    assert all(c["p_value"] == 1.0 and not c["tripped"] for c in quality)
    assert verdict["comparison"]["stages"]["reranked"]["recall@1"]["losses"] == 1


# --------------------------------------------------------------------------- ops gate

OPS_BASE = {"cost_per_1k_queries": 2.0, "p95_rerank_latency_s": 0.50}
OPS_NOW = {"cost_per_1k_queries": 2.6, "p95_rerank_latency_s": 0.52}
OPS_LIMITS = {"cost_per_1k_queries": 0.2, "p95_rerank_latency_s": 0.2}


def test_ops_gate_fail_mode_trips_on_cost_growth() -> None:
    result = evaluate_ops_gate(OPS_BASE, OPS_NOW, OPS_LIMITS, mode="fail")
    assert not result.passed
    cost, latency = result.checks
    assert cost.tripped and not latency.tripped
    assert cost.message == "cost_per_1k_queries 2 -> 2.6 (+30.0%), over the 20% allowed"
    assert "within the 20% allowed" in latency.message


def test_ops_gate_warn_mode_reports_but_passes(baseline: Path, tmp_path: Path) -> None:
    result = evaluate_ops_gate(OPS_BASE, OPS_NOW, OPS_LIMITS, mode="warn")
    assert result.passed and [c.metric for c in result.tripped] == ["cost_per_1k_queries"]
    candidate = write_run(tmp_path, "B", *rankings(baseline_positions()))
    comparison = compare_runs(baseline, candidate, one_relevant_qrels(), n_resamples=100)
    text = format_comparison(comparison, [evaluate_gate(comparison, [RECALL5]), result])
    assert "WARN  cost_per_1k_queries" in text and "gate (warn mode): passed" in text


def test_ops_gate_missing_values_are_not_compared() -> None:
    result = evaluate_ops_gate({"p95_rerank_latency_s": 0.5}, OPS_NOW, OPS_LIMITS, mode="fail")
    assert result.passed
    cost = result.checks[0]
    assert not cost.compared and not cost.tripped
    assert cost.message == "cost_per_1k_queries: not compared: no baseline value"
    current_missing = evaluate_ops_gate(OPS_BASE, {"cost_per_1k_queries": None}, OPS_LIMITS)
    assert [c.message.endswith("no current value") for c in current_missing.checks] == [True, True]
    with pytest.raises(ValueError, match="cost_per_1k_queries"):
        evaluate_ops_gate(OPS_BASE, OPS_NOW, {"cost_per_1k_queries": -1.0})
