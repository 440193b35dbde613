"""The nightly regression flow: baseline, gate, plots, artifact, promotion; and its CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.nightly_regression import nightly_regression
from tasks.evaluate import regression
from tasks.inputs.loaders import load_qrels
from tasks.runs import layout, storage
from tests.helpers import SAMPLE, profile_overrides, read_artifact, use_sample_index

pytestmark = pytest.mark.slow
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def indexed(sample_index, tmp_path_factory):
    return use_sample_index(sample_index[0], tmp_path_factory.mktemp("nightly"))


def sets(overrides: dict) -> list[str]:
    return [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]


def test_gate_passes_equal_runs_and_trips_on_a_planted_regression(
    indexed, tmp_path, tiny_cross_encoder
):
    # Cost and latency of the tiny bm25 runs are milliseconds of noise: a warning there would
    # (rightly) block promotion, which is not what this test is about.
    overrides = profile_overrides(
        indexed,
        **{
            "run.runs_root": str(tmp_path / "runs"),
            "regression.ops_thresholds": {"cost_per_1k_queries": 100.0, "latency_p95_s": 100.0},
        },
    )
    runs_root = tmp_path / "runs"

    first = nightly_regression(profile="demo", overrides=overrides)
    assert first["passed"] and first["promoted"]
    assert first["baseline"] == "no baseline yet for profile 'demo'"
    pointer = regression.read_baseline(runs_root, "demo")
    assert pointer is not None and pointer["run_id"] == first["run_id"]
    run_dir = Path(first["run_dir"])
    for name in ("recall_curves", "headroom", "trend"):
        path = Path(first["files"][name])
        assert path.parent == run_dir and path.read_bytes()[:8] == PNG_MAGIC
    assert "<html" in (run_dir / "report.html").read_text()
    manifest = storage.read_json(run_dir / "manifest.json")
    assert manifest["cost"]["per_1k_queries"] >= 0 and manifest["cost"]["latency_p95_s"] > 0

    # The same set on the same settings: equal quality, the gate passes and promotes.
    second = nightly_regression(profile="demo", overrides=overrides)
    assert second["passed"] and second["baseline"] == f"last passing run {first['run_id']}"
    verdict = storage.read_json(Path(second["run_dir"]) / layout.REGRESSION_FILE)
    quality = verdict["gates"][0]
    assert [c["metric"] for c in quality["checks"]] == ["recall@5", "ndcg@10", "recall@20"]
    assert all(c["delta"] == pytest.approx(0.0, abs=1e-12) for c in quality["checks"])
    assert regression.read_baseline(runs_root, "demo")["run_id"] == second["run_id"]
    markdown = read_artifact("nightly-regression")["data"]
    assert second["run_id"] in markdown and "recall_curves.png" in markdown

    # Planted regression: a reranker with random weights scrambles the top of every list.
    broken = {
        **overrides,
        "reranker.backend": "cross-encoder",
        "reranker.model": str(tiny_cross_encoder),
    }
    with pytest.raises(regression.RegressionDetected) as err:
        nightly_regression(profile="demo", overrides=broken)
    message = str(err.value)
    assert f"against baseline {second['run_id']}" in message
    assert "reranked recall@5 dropped" in message and "worst queries:" in message
    # A failing run does not become the baseline.
    assert regression.read_baseline(runs_root, "demo")["run_id"] == second["run_id"]
    failed_dirs = [
        p.parent
        for p in runs_root.glob("run_date=*/run_id=*/regression.json")
        if not storage.read_json(p)["passed"]
    ]
    assert len(failed_dirs) == 1
    failed_markdown = read_artifact("nightly-regression")["data"]
    assert "FAILED" in failed_markdown and "recall@5" in failed_markdown

    # The CLI gives the same verdict for the same two runs: exit 4, JSON with the tripped rule.
    runner = CliRunner()
    cli_sets = sets({k: v for k, v in broken.items() if k.startswith("run.")})
    result = runner.invoke(
        app,
        ["compare", second["run_id"], failed_dirs[0].name.removeprefix("run_id="), "--json"]
        + cli_sets,
    )
    assert result.exit_code == 4, result.output
    report = json.loads(result.output)
    tripped = [c for c in report["gates"][0]["checks"] if c["tripped"]]
    assert "recall@5" in {c["metric"] for c in tripped}
    text = runner.invoke(app, ["compare", first["run_id"], second["run_id"], *cli_sets])
    assert text.exit_code == 0, text.output
    assert "gate (fail mode): passed, 0 of 3 tripped" in text.output

    # `rerankflow report RUN` writes the page with the stored comparison.
    out = tmp_path / "page.html"
    page = runner.invoke(app, ["report", second["run_id"], "--out", str(out), *cli_sets])
    assert page.exit_code == 0, page.output
    html = out.read_text()
    assert second["run_id"] in html and "last passing run" in html and "data:image/png" in html


def test_pinned_baseline_and_no_promotion(indexed, tmp_path):
    overrides = profile_overrides(
        indexed, **{"run.runs_root": str(tmp_path / "runs"), "regression.promote": False}
    )
    first = nightly_regression(profile="demo", overrides=overrides)
    assert first["passed"] and not first["promoted"]
    assert regression.read_baseline(tmp_path / "runs", "demo") is None
    second = nightly_regression(
        profile="demo", overrides=overrides, baseline_run_id=first["run_id"]
    )
    assert second["baseline"] == f"pinned run {first['run_id']}"
    with pytest.raises(FileNotFoundError, match="no run 'nope'"):
        nightly_regression(profile="demo", overrides=overrides, baseline_run_id="nope")


def test_one_differing_query_is_judged_not_crashed(indexed, tmp_path):
    """Exactly one query differs from the baseline: p = 1, the verdict and report are written."""
    import shutil

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    runs_root = tmp_path / "runs"
    overrides = profile_overrides(indexed, **{"run.runs_root": str(runs_root)})
    # A deployment's own overrides apply under the user's (prefect.yaml's gpu hand-off).
    first = nightly_regression(
        profile="demo", overrides=overrides, deployment_overrides={"regression.promote": False}
    )
    assert first["passed"] and not first["promoted"]
    # A baseline equal to the first run but for one query, whose reranked scores are negated:
    # its relevant document drops from the top to the bottom of its top_k.
    src = Path(first["run_dir"])
    doctored = src.parent / "run_id=doctored"
    shutil.copytree(src, doctored)
    reranked = pq.read_table(doctored / "reranked.parquet")
    qrels = load_qrels(SAMPLE / "labels.jsonl")
    firsts = reranked.filter(pc.equal(reranked.column("rank"), 1)).to_pylist()
    top = next(r["qid"] for r in firsts if qrels.get(r["qid"], {}).get(r["doc_id"], 0) > 0)
    is_top = pc.equal(reranked.column("qid"), top)
    scores = pc.if_else(
        is_top, pc.negate(reranked.column("rerank_score")), reranked["rerank_score"]
    )
    reranked = reranked.set_column(
        reranked.schema.get_field_index("rerank_score"), "rerank_score", scores
    )
    pq.write_table(reranked, doctored / "reranked.parquet")
    manifest = storage.read_json(doctored / "manifest.json")
    storage.write_json({**manifest, "run_id": "doctored"}, doctored / "manifest.json")

    second = nightly_regression(
        profile="demo",
        overrides={**overrides, "regression.promote": False},
        baseline_run_id="doctored",
        deployment_overrides={"regression.promote": True},
    )
    assert second["passed"] and not second["promoted"]  # the user's value won
    assert regression.read_baseline(runs_root, "demo") is None
    run_dir = Path(second["run_dir"])
    verdict = storage.read_json(run_dir / layout.REGRESSION_FILE)
    entries = verdict["comparison"]["stages"]["reranked"]
    single = {k: e for k, e in entries.items() if e["wins"] + e["losses"] == 1}
    assert "recall@1" in single and "mrr@10" in single, entries  # the case that crashed
    assert all(e["p_value"] == 1.0 and e["wins"] == 1 for e in single.values())
    assert all(e["worst"] == [] or e["worst"][0]["qid"] == top for e in single.values())
    assert "<html" in (run_dir / layout.REPORT_FILE).read_text()
