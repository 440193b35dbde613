"""Group level (qdrant.group_key): metrics on the MaxP group ranking against pytrec_eval fed the
MaxP group run built here, chunk_coverage@k by brute force, and the unit and label checks."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Sequence
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from config.settings import ALL_METRIC_NAMES, GateRule
from tasks.errors import InputError, SettingsError
from tasks.evaluate.compare import compare_runs
from tasks.evaluate.gates import evaluate_gate
from tasks.evaluate.metrics import evaluate_run
from tasks.evaluate.regression import promote, resolve_baseline
from tasks.report import render_report
from tasks.report.comparison import format_comparison
from tasks.report.metrics_table import format_table, headline
from tasks.report.plots import recall_curve_data
from tasks.runs.manifest import RunManifest
from tasks.types import Qrels
from tests.helpers.reference import (
    assert_close,
    assert_diagnostics,
    reference_means,
    reference_per_query,
)
from tests.helpers.runs import Chunks, write_group_run

TOL = 1e-9
KEY = "source"
# qid -> [(chunk id, group id or None, score)]

SHAPES = [
    ("default", 10, 5, (1, 3, 5, 10, 20)),
    ("odd_cutoffs", 12, 7, (1, 2, 4, 7, 9, 30)),
    ("top_equals_fetch", 6, 6, (1, 3, 6)),
]


def _random_case(seed: int, fetch_k: int, top_k: int) -> tuple[Qrels, Chunks, Chunks]:
    """Chunks of a few groups per query (groups repeat inside the top k), coarse scores (ties
    within and across groups), chunks without a group, graded labels naming groups, labelled
    groups never retrieved, unlabelled and empty queries."""
    rng = random.Random(seed)
    qrels: Qrels = {}
    candidates: Chunks = {}
    reranked: Chunks = {}
    for i in range(60):
        qid = f"q{i}"
        # Mixed-length group ids so byte-order tie-breaks ("g9" > "g10") are exercised.
        groups = [f"g{n}" for n in rng.sample(range(1, 150), rng.randint(2, 8))]
        # Chunk ids unrelated to group ids: the chunk order's tie-break (chunk id) differs from
        # the group run's (group id).
        sizes = [rng.randint(1, 5) for _ in groups]
        ids = [f"c{n}" for n in rng.sample(range(1, 400), sum(sizes))]
        pool = [(ids.pop(), g) for g, size in zip(groups, sizes, strict=True) for _ in range(size)]
        pool += [(f"x{n}", None) for n in rng.sample(range(1, 50), 2)]  # no group id
        kind = rng.random()
        labelled, in_run = kind < 0.85, kind > 0.1
        if labelled:
            named = rng.sample(groups, rng.randint(1, len(groups)))
            named += [f"g{n}" for n in rng.sample(range(150, 300), rng.randint(0, 2))]
            grades = {g: rng.choice([0, 0, 1, 1, 2, 3]) for g in named}
            if rng.random() < 0.1:
                grades = dict.fromkeys(named, 0)  # judged, nothing relevant: unlabelled
            if rng.random() < 0.1:
                grades[pool[-1][0]] = 1  # a group-less chunk stands for itself
            qrels[qid] = grades
        if in_run or not labelled:
            n = min(len(pool), fetch_k if rng.random() > 0.2 else rng.randint(1, fetch_k))
            chunks = rng.sample(pool, n)
            candidates[qid] = [(c, g, rng.choice([0.1, 0.25, 0.5, 0.75, 1.5])) for c, g in chunks]
            picked = rng.sample(chunks, min(top_k, len(chunks)))
            reranked[qid] = [(c, g, rng.choice([-1.0, 0.0, 0.3, 2.0])) for c, g in picked]
    qrels["q_lonely"] = {"nowhere": 2, "also_nowhere": 1}  # labelled, no hits
    return qrels, candidates, reranked


def maxp_run(chunks: Chunks) -> dict[str, dict[str, float]]:
    """The MaxP group run: each group (a group-less chunk: itself) at its best chunk's score."""
    run: dict[str, dict[str, float]] = {}
    for qid, rows in chunks.items():
        groups = run.setdefault(qid, {})
        for chunk, group, score in rows:
            key = group if group is not None else chunk
            groups[key] = max(score, groups.get(key, float("-inf")))
    return run


def chunk_coverage(qrels: Qrels, chunks: Chunks, ks: Sequence[int]) -> dict[str, dict[int, float]]:
    """Brute force: distinct relevant groups among the top k chunks (score desc, chunk id
    desc) over the query's relevant groups, for every labelled query."""
    out: dict[str, dict[int, float]] = {}
    for qid, judged in qrels.items():
        relevant = {g for g, rel in judged.items() if rel > 0}
        if not relevant:
            continue
        ranked = sorted(chunks.get(qid, []), key=lambda r: (r[2], r[0]), reverse=True)
        groups = [g if g is not None else c for c, g, _ in ranked]
        out[qid] = {k: len(relevant & set(groups[:k])) / len(relevant) for k in ks}
    return out


def _means(per_q: dict[str, dict[int, float]], ks: Sequence[int]) -> dict[str, float]:
    return {f"chunk_coverage@{k}": sum(v[k] for v in per_q.values()) / len(per_q) for k in ks}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize(("shape", "fetch_k", "top_k", "ks"), SHAPES, ids=[s[0] for s in SHAPES])
def test_group_level_matches_pytrec_eval_on_the_maxp_run(
    tmp_path: Path, seed: int, shape: str, fetch_k: int, top_k: int, ks: Sequence[int]
) -> None:
    qrels, candidates, reranked = _random_case(seed, fetch_k, top_k)
    write_group_run(tmp_path, candidates, reranked, fetch_k=fetch_k, top_k=top_k, ks=ks)
    result = evaluate_run(tmp_path, qrels, fetch_k, top_k, ks, group_key=KEY)
    json.dumps(result)

    ret_ks = sorted({k for k in ks if k <= fetch_k} | {fetch_k})
    rr_ks = [k for k in ks if k <= top_k]
    ret_ref = reference_per_query(qrels, maxp_run(candidates), sorted(set(ret_ks) | {top_k}))
    rr_ref = reference_per_query(qrels, maxp_run(reranked), sorted(set(rr_ks) | {top_k}))
    assert_close(
        result["retrieval"],
        reference_means(ret_ref, ret_ks)
        | _means(chunk_coverage(qrels, candidates, ret_ks), ret_ks),
    )
    assert_close(
        result["reranked"],
        reference_means(rr_ref, rr_ks) | _means(chunk_coverage(qrels, reranked, rr_ks), rr_ks),
    )
    assert result["unit"] == {"level": "group", "group_key": KEY}
    assert {key.partition("@")[0] for key in result["retrieval"]} == set(ALL_METRIC_NAMES)

    # The awkward cases this test is about really occur.
    top = {
        q: sorted(rows, key=lambda r: (r[2], r[0]), reverse=True)[:top_k]
        for q, rows in candidates.items()
    }
    assert any(len({g for _, g, _ in rows}) < len(rows) for rows in top.values())  # repeats
    best = [sorted(maxp_run({q: rows})[q].values()) for q, rows in candidates.items()]
    assert any(len(set(scores)) < len(scores) for scores in best)  # ties across groups
    assert result["queries"]["labelled_missing_from_run"] > 0

    # Diagnostics on the group ranking, from the reference values.
    labelled = set(ret_ref)
    assert_diagnostics(result, ret_ref, rr_ref, labelled, fetch_k, top_k)
    relevant = {g for q in labelled for g, rel in qrels[q].items() if rel > 0}
    seen = {g if g is not None else c for rows in candidates.values() for c, g, _ in rows}
    assert result["queries"]["label_ids"] == len(relevant)
    assert result["queries"]["label_ids_not_in_run"] == len(relevant - seen) > 0


def _hand_case(run_dir: Path, **manifest) -> Qrels:
    candidates: Chunks = {
        # Group order a, b, c: a#2 is dropped behind a#1; a#2 and c#1 tie, chunk id desc
        # puts c#1 first among chunks.
        "q1": [
            ("a#1", "ga", 0.9),
            ("b#1", "gb", 0.8),
            ("a#2", "ga", 0.7),
            ("c#1", "gc", 0.7),
            ("b#2", "gb", 0.6),
        ],
        # Two groups whose best chunks tie: the group run orders them by group id desc
        # ("g2" > "g10", trec_eval's order of the MaxP run); the chunk order by chunk id
        # ("y#1" > "x#1") puts g10's chunk first.
        "q2": [("x#1", "g2", 0.5), ("y#1", "g10", 0.5)],
    }
    reranked = {q: rows[:2] for q, rows in candidates.items()}
    write_group_run(run_dir, candidates, reranked, fetch_k=5, top_k=2, ks=(1, 2, 3), **manifest)
    return {"q1": {"gb": 2, "gc": 1, "ga": 0}, "q2": {"g10": 1}}


def test_group_ranking_hand_computed(tmp_path: Path) -> None:
    qrels = _hand_case(tmp_path)
    result = evaluate_run(tmp_path, qrels, fetch_k=5, top_k=2, ks=(1, 2, 3), group_key=KEY)
    ret = result["retrieval"]
    # q1 groups ga, gb, gc; q2 groups g2, g10.
    assert ret["recall@1"] == 0.0
    assert ret["recall@2"] == pytest.approx((1 / 2 + 1) / 2)  # gb; g10 at group rank 2
    assert ret["recall@3"] == 1.0
    assert ret["precision@2"] == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert ret["mrr@3"] == pytest.approx((1 / 2 + 1 / 2) / 2)
    # k counts chunks: q1's top 3 chunks a#1, b#1, c#1 cover gb and gc; q2's first is g10.
    assert ret["chunk_coverage@1"] == pytest.approx((0 + 1) / 2)
    assert ret["chunk_coverage@2"] == pytest.approx((1 / 2 + 1) / 2)
    assert ret["chunk_coverage@3"] == 1.0
    assert ret["chunk_coverage@5"] == ret["recall@5"] == result["diagnostics"]["retrieval_ceiling"]
    table = format_table(result)
    assert table.splitlines()[-6] == f"unit: group (qdrant.group_key={KEY})"
    assert next(line for line in table.splitlines() if line.startswith("chunk_coverage@2 "))
    assert (
        headline(result, 2)["reranked_chunk_coverage@2"] == result["reranked"]["chunk_coverage@2"]
    )
    # The recall curves and the report are in the run's unit too; the trend plots recall@top_k.
    curves = recall_curve_data(tmp_path, qrels)
    assert curves["retrieval"][2] == ret["recall@2"]
    html = render_report(tmp_path, qrels, trend_runs=[tmp_path])
    assert f"unit: group (qdrant.group_key={KEY})" in html
    assert 'alt="Reranked recall@2 and cost over recent runs"' in html


def test_document_level_of_the_same_files_counts_chunks(tmp_path: Path) -> None:
    """Without the group key the labels (groups) match no chunk: an error, not zeros; and files
    with group ids scored as documents are a wiring bug, refused."""
    qrels = _hand_case(tmp_path, group_key=None)
    with pytest.raises(ValueError, match="carry group ids but were scored as documents"):
        evaluate_run(tmp_path, qrels, fetch_k=5, top_k=2, ks=(1, 2))
    chunk_labels = {"q1": {"b#1": 1}}
    with pytest.raises(InputError, match=r"labels.jsonl: no label id matches a group in run "):
        evaluate_run(
            tmp_path, chunk_labels, 5, 2, (1, 2), group_key=KEY, labels_name="labels.jsonl"
        )


def test_labels_that_match_nothing_are_an_error(tmp_path: Path, caplog) -> None:
    qrels = _hand_case(tmp_path / "run_id=R1")
    run_dir = tmp_path / "run_id=R1"
    chunk_labels: Qrels = {"q1": {"b#1": 1, "c#1": 2}, "q2": {"y#1": 1}}
    with pytest.raises(InputError) as err:
        evaluate_run(run_dir, chunk_labels, 5, 2, (1, 2), group_key=KEY, labels_name="l.jsonl")
    assert str(err.value) == (
        "l.jsonl: no label id matches a group in run R1 (e.g. 'b#1', 'c#1', 'y#1'); at group "
        f"level labels must name groups (qdrant.group_key={KEY}), such as the run's "
        "'g10', 'g2', 'ga'"
    )
    # Some unseen is normal (a relevant group no query retrieved): counted and logged.
    qrels["q2"]["g_unretrieved"] = 3
    with caplog.at_level(logging.WARNING, logger="tasks.evaluate.checks"):
        result = evaluate_run(run_dir, qrels, 5, 2, (1, 2), group_key=KEY, labels_name="l.jsonl")
    assert (result["queries"]["label_ids"], result["queries"]["label_ids_not_in_run"]) == (4, 1)
    assert "l.jsonl: 1 of 4 label ids match no group in run R1 (e.g. 'g_unretrieved')" in (
        caplog.text
    )
    assert "label ids not in run 1 of 4" in format_table(result)
    # Unlabelled-only sets have nothing to match: no error.
    empty = evaluate_run(run_dir, {"q1": {"ga": 0}}, 5, 2, (1, 2), group_key=KEY)
    assert empty["queries"]["label_ids"] == 0


def test_group_key_without_group_ids_in_the_files(tmp_path: Path) -> None:
    qrels = _hand_case(tmp_path)
    for name in ("candidates", "reranked"):
        path = tmp_path / f"{name}.parquet"
        pq.write_table(pq.read_table(path).drop(["group_id"]), path)
    with pytest.raises(InputError, match=r"candidates.parquet: field 'group_id': missing column"):
        evaluate_run(tmp_path, qrels, 5, 2, (1, 2), group_key=KEY)


def _pair(tmp_path: Path, seed: int) -> tuple[Path, Path, Qrels]:
    qrels, cand_a, rr_a = _random_case(seed, 10, 5)
    _, cand_b, rr_b = _random_case(seed + 100, 10, 5)
    # Same queries in both runs (a query set, not a sample of one).
    qids = sorted(set(cand_a) & set(cand_b))
    a = write_group_run(
        tmp_path / "A", {q: cand_a[q] for q in qids}, {q: rr_a[q] for q in qids}, run_id="A"
    )
    b = write_group_run(
        tmp_path / "B", {q: cand_b[q] for q in qids}, {q: rr_b[q] for q in qids}, run_id="B"
    )
    # Compared queries are those in the runs; evaluate_run also scores absent ones (as 0).
    return a, b, {q: judged for q, judged in qrels.items() if q in qids}


def test_compare_and_gate_at_group_level(tmp_path: Path) -> None:
    a, b, qrels = _pair(tmp_path, 7)
    comparison = compare_runs(a, b, qrels, n_resamples=200)
    assert comparison["unit"] == {"level": "group", "group_key": KEY}
    want_a = evaluate_run(a, qrels, 10, 5, (1, 3, 5, 10), group_key=KEY)
    want_b = evaluate_run(b, qrels, 10, 5, (1, 3, 5, 10), group_key=KEY)
    for stage in ("retrieval", "reranked"):
        entries = comparison["stages"][stage]
        assert set(entries) == set(want_a[stage])
        for key, e in entries.items():
            assert e["mean_a"] == pytest.approx(want_a[stage][key], abs=1e-12)
            assert e["mean_b"] == pytest.approx(want_b[stage][key], abs=1e-12)
    q = comparison["queries"]
    assert q["label_ids_not_in_a"] > 0 and q["label_ids_not_in_b"] > 0
    rules = [
        GateRule(stage="reranked", metric="chunk_coverage@5", max_drop=1.0),
        GateRule(stage="reranked", metric="recall@5", max_drop=1.0),
    ]
    gate = evaluate_gate(comparison, rules)
    assert [c.metric for c in gate.checks] == ["chunk_coverage@5", "recall@5"]
    assert gate.checks[0].baseline == pytest.approx(want_a["reranked"]["chunk_coverage@5"])
    assert f"unit: group (qdrant.group_key={KEY})" in format_comparison(comparison, gate)


def test_compare_refuses_mixed_units_and_group_rules_on_documents(tmp_path: Path) -> None:
    a, b, qrels = _pair(tmp_path, 8)
    doc = tmp_path / "D"
    doc.mkdir()
    for name in ("candidates", "reranked"):
        table = pq.read_table(b / f"{name}.parquet")
        pq.write_table(table.drop(["group_id"]), doc / f"{name}.parquet")
    manifest = json.loads((b / "manifest.json").read_text())
    manifest["run_id"] = "D"
    del manifest["config"]["qdrant"]
    (doc / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError) as err:
        compare_runs(a, doc, qrels)
    message = str(err.value)
    assert "\n" not in message
    assert f"is scored at unit group (qdrant.group_key={KEY}), run B (D, " in message
    assert "at unit document: runs measured in different units cannot be compared" in message

    # A chunk-level rule on a document comparison names the setting (labels naming chunks).
    chunks = pq.read_table(doc / "candidates.parquet").to_pylist()
    chunk_qrels: Qrels = {}
    for row in chunks[::3]:
        chunk_qrels.setdefault(row["qid"], {})[row["doc_id"]] = 1
    comparison = compare_runs(doc, doc, chunk_qrels, n_resamples=100)
    rule = GateRule(stage="reranked", metric="chunk_coverage@5", max_drop=0.0)
    with pytest.raises(SettingsError, match="chunk_coverage is measured at group level only"):
        evaluate_gate(comparison, [rule])
    # Group labels against the document run: nothing matches, an error naming the labels.
    groups_only = {q: {g: r for g, r in j.items() if g.startswith("g")} for q, j in qrels.items()}
    with pytest.raises(InputError, match=r"^qrels.tsv: no label id matches a document in run A"):
        compare_runs(doc, doc, groups_only, labels_name="qrels.tsv")


def test_baseline_in_another_unit_is_not_compared(tmp_path: Path) -> None:
    doc_manifest = RunManifest(run_id="old", hashes={"query_set": "qs"})
    promote(tmp_path, "p", doc_manifest, "first")
    group_manifest = RunManifest(
        run_id="new", hashes={"query_set": "qs"}, config={"qdrant": {"group_key": KEY}}
    )
    baseline = resolve_baseline(tmp_path, "p", group_manifest, None)
    assert baseline.run_dir is None
    assert "scored at unit document, this run at group (qdrant.group_key=source)" in (baseline.note)
