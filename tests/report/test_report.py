"""Plots and the HTML report against a small hand-built run directory.

The run files are written with pyarrow in the pipeline's layout and metrics.json comes from the
real `evaluate_run`, so the curve and report numbers are checked against the metric code the
flow uses. The end-to-end test renders the report in headless Chromium.
"""

from __future__ import annotations

import base64
import io
import json
import random
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from PIL import Image

from config.settings import load_settings
from tasks.evaluate import regression
from tasks.evaluate.metrics import evaluate_run
from tasks.report import plots, render_report, trend, write_report
from tasks.report.metrics_table import table_rows
from tasks.runs import layout, storage
from tasks.types import Qrels
from tests.helpers.runs import run_manifest, write_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHROMIUM = Path("/usr/bin/chromium")
FETCH_K, TOP_K, KS = 20, 10, (1, 3, 5, 10, 20)
T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- fixtures


def _queries(rng: random.Random, n: int) -> tuple[dict[str, list[tuple[str, float]]], Qrels]:
    """Candidate lists (fetch_k docs each, some tied scores) and graded labels."""
    candidates: dict[str, list[tuple[str, float]]] = {}
    qrels: Qrels = {}
    for i in range(n):
        qid = f"q{i:02d}"
        # Scores rounded to 1 decimal: ties, broken by doc_id like trec_eval.
        docs = [(f"d{i:02d}-{j:02d}", round(rng.uniform(0, 10), 1)) for j in range(FETCH_K)]
        candidates[qid] = docs
        pool = [doc for doc, _ in docs] + [f"unretrieved-{i:02d}-{j}" for j in range(4)]
        qrels[qid] = {doc: rng.choice((1, 2)) for doc in rng.sample(pool, rng.randint(1, 3))}
        qrels[qid][f"judged-nonrel-{i:02d}"] = 0
    candidates["q-unlabelled"] = [(f"du-{j:02d}", float(FETCH_K - j)) for j in range(FETCH_K)]
    qrels["q-missing"] = {"d-nowhere": 1}  # labelled, absent from the run: scores 0
    return candidates, qrels


def _rerank(
    rng: random.Random,
    docs: list[tuple[str, float]],
    relevant: dict[str, int],
    top_k: int = TOP_K,
) -> list[tuple[str, float]]:
    """A noisy reranker that tends to lift relevant documents, cut to top_k."""
    scored = [
        (doc, s / 10 + rng.random() + (1.0 if relevant.get(doc, 0) > 0 else 0.0)) for doc, s in docs
    ]
    return sorted(scored, key=lambda x: (-x[1], x[0]))[:top_k]


def make_run(
    runs_root: Path,
    run_id: str,
    *,
    created_at: datetime = T0,
    seed: int = 0,
    n_queries: int = 20,
    status: str = "completed",
    profile: str = "nightly",
    model: str = "cross-encoder/ms-marco-MiniLM-L-6-v2",
    cost: float | None = None,
    top_k: int = TOP_K,
) -> tuple[Path, Qrels]:
    """A run directory like the flow writes, metrics.json from the real `evaluate_run`."""
    rng = random.Random(seed)
    candidates, qrels = _queries(rng, n_queries)
    # q00's rerank failed: its relevant doc is at retrieval rank 1, so including it would show.
    candidates["q00"][0] = ("d00-top", 99.0)
    qrels["q00"] = {"d00-top": 1}
    failed = {"q00"}
    reranked = {
        qid: _rerank(rng, docs, qrels.get(qid, {}), top_k)
        for qid, docs in candidates.items()
        if qid not in failed
    }
    run_dir = layout.new_run_dir(runs_root, run_id, created_at)
    manifest = run_manifest(
        run_id,
        fetch_k=FETCH_K,
        top_k=top_k,
        ks=KS,
        status=status,
        created_at=created_at,
        profile=profile,
        config={
            "reranker": {"backend": "cross_encoder", "model": model},
            "embedder": {"model": "all-MiniLM-L6-v2"},
        },
        counts={"queries": len(candidates)},
        seconds={"wall_this_attempt": 1.5},
        cost=None if cost is None else {"per_1k_queries": cost},
    )
    write_run(
        run_dir,
        _candidates_table(candidates),
        _reranked_table(candidates, reranked),
        manifest,
        failed={"q00": "timeout"},
    )
    results = evaluate_run(run_dir, qrels, FETCH_K, top_k, KS)
    storage.write_json({"run": {"run_id": run_id}, **results}, run_dir / "metrics.json")
    return run_dir, qrels


def _candidates_table(candidates: dict[str, list[tuple[str, float]]]) -> pa.Table:
    rows = [
        (qid, rank, doc, score, None)
        for qid, docs in candidates.items()
        for rank, (doc, score) in enumerate(sorted(docs, key=lambda x: -x[1]), start=1)
    ]
    return pa.table([list(col) for col in zip(*rows, strict=True)], schema=layout.CANDIDATES_SCHEMA)


def _reranked_table(
    candidates: dict[str, list[tuple[str, float]]],
    reranked: dict[str, list[tuple[str, float]]],
) -> pa.Table:
    retrieval = {
        (qid, doc): (rank, score)
        for qid, docs in candidates.items()
        for rank, (doc, score) in enumerate(sorted(docs, key=lambda x: -x[1]), start=1)
    }
    rows = [
        (qid, rank, doc, score, *retrieval[(qid, doc)], None)
        for qid, docs in reranked.items()
        for rank, (doc, score) in enumerate(docs, start=1)
    ]
    return pa.table([list(col) for col in zip(*rows, strict=True)], schema=layout.RERANKED_SCHEMA)


@pytest.fixture()
def run(tmp_path: Path) -> tuple[Path, Qrels]:
    return make_run(tmp_path / "runs", "20250301T020000-aaaaaa")


def _metrics(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))


def assert_png(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        assert img.width > 0 and img.height > 0
        return img.size


class _Dom(HTMLParser):
    """Text, <img> sources and every src/href of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.imgs: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href"):
                self.urls.append(value or "")
                if tag == "img":
                    self.imgs.append(value or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Dom:
    dom = _Dom()
    dom.feed(html)
    return dom


def _decode_data_png(uri: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix) :], validate=True)


# --------------------------------------------------------------------------- plots


def test_recall_curve_equals_evaluate_run(run: tuple[Path, Qrels]) -> None:
    run_dir, qrels = run
    data = plots.recall_curve_data(run_dir, qrels)
    want = evaluate_run(run_dir, qrels, FETCH_K, TOP_K, KS)

    assert data["run_id"] == "20250301T020000-aaaaaa"
    assert sorted(data["retrieval"]) == list(range(1, FETCH_K + 1))
    assert sorted(data["reranked"]) == list(range(1, TOP_K + 1))
    for stage in ("retrieval", "reranked"):
        reported = {int(key.split("@")[1]): v for key, v in want[stage].items() if "recall@" in key}
        assert reported  # evaluate_run reports some recall@k on both sides
        for k, value in reported.items():
            assert data[stage][k] == pytest.approx(value, abs=1e-12), (stage, k)
        curve = [data[stage][k] for k in sorted(data[stage])]
        # recall@k never decreases with k (DuckDB sums in parallel: equal up to float noise).
        assert all(b >= a - 1e-12 for a, b in zip(curve, curve[1:], strict=False))
    assert data["retrieval"][FETCH_K] == pytest.approx(want["diagnostics"]["retrieval_ceiling"])


def test_plots_are_valid_deterministic_pngs(run: tuple[Path, Qrels], tmp_path: Path) -> None:
    run_dir, qrels = run
    out = tmp_path / "plots"
    metrics = _metrics(run_dir)
    first = {
        "recall": plots.plot_recall_curves(run_dir, qrels, out / "recall.png").read_bytes(),
        "headroom": plots.plot_headroom(
            metrics, out / "headroom.png", fetch_k=FETCH_K, top_k=TOP_K
        ).read_bytes(),
    }
    assert assert_png(first["recall"]) == (800, 480)
    assert assert_png(first["headroom"]) == (800, 240)
    # Same inputs, same bytes (no timestamps or version stamps in the files).
    assert (
        plots.plot_recall_curves(run_dir, qrels, out / "recall.png").read_bytes() == first["recall"]
    )
    assert (
        plots.plot_headroom(
            metrics, out / "headroom.png", fetch_k=FETCH_K, top_k=TOP_K
        ).read_bytes()
        == first["headroom"]
    )
    assert sorted(p.name for p in out.iterdir()) == ["headroom.png", "recall.png"]  # no temps


def test_plot_headroom_requires_diagnostics(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="diagnostics.headroom"):
        plots.plot_headroom({"retrieval": {}}, tmp_path / "h.png")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_trend_over_three_runs(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    day = timedelta(days=1)
    # Created out of order on purpose; costs on two of the three nightly runs only.
    r2, _ = make_run(root, "run-2", created_at=T0 + day, seed=2, cost=0.42)
    r1, _ = make_run(root, "run-1", created_at=T0, seed=1)
    r3, _ = make_run(root, "run-3", created_at=T0 + 2 * day, seed=3, cost=0.40)
    make_run(root, "run-4-running", created_at=T0 + 3 * day, seed=4, status="running")
    make_run(root, "run-5-other", created_at=T0 + 4 * day, seed=5, profile="adhoc")

    assert trend.latest_runs(root, 3, profile="nightly") == [r1, r2, r3]
    assert trend.latest_runs(root, 2, profile="nightly") == [r2, r3]
    assert trend.latest_runs(root, 10)[-1].name == "run_id=run-5-other"

    points = trend.trend_data([r3, r1, r2])
    assert [p["run_id"] for p in points] == ["run-1", "run-2", "run-3"]
    assert [p["cost_per_1k_queries"] for p in points] == [None, 0.42, 0.40]
    for p, run_dir in zip(points, [r1, r2, r3], strict=True):
        assert p["reranked"]["recall@10"] == _metrics(run_dir)["reranked"]["recall@10"]
        assert p["created_at"].tzinfo is not None

    with_cost = trend.plot_trend([r1, r2, r3], tmp_path / "trend.png")
    no_cost = trend.plot_trend([r1], tmp_path / "trend1.png", metrics=("retrieval", "ndcg@5"))
    assert assert_png(with_cost.read_bytes()) == (800, 600)  # metric panel + cost panel
    assert assert_png(no_cost.read_bytes()) == (800, 420)  # no cost known: one panel
    with pytest.raises(ValueError, match="stage"):
        trend.plot_trend([r1], tmp_path / "bad.png", metrics=("rerank", "recall@10"))


def test_trend_follows_top_k_not_a_fixed_cutoff(tmp_path: Path) -> None:
    """top_k = 5: the nightly trend (plot default, nightly plots, report) is recall@5; a run
    with top_k 5 has no reranked recall@10, so a hard-coded recall@10 would plot nothing."""
    root = tmp_path / "runs"
    r1, _ = make_run(root, "run-1", created_at=T0, seed=1, top_k=5)
    r2, qrels = make_run(root, "run-2", created_at=T0 + timedelta(days=1), seed=2, top_k=5)
    assert "recall@10" not in _metrics(r2)["reranked"]
    assert trend.trend_metric(5) == ("reranked", "recall@5")

    def png(name: str, metrics: tuple[str, str] | None = None) -> bytes:
        return trend.plot_trend([r1, r2], tmp_path / name, metrics).read_bytes()

    at_5 = png("at5.png", ("reranked", "recall@5"))
    assert png("default.png") == at_5  # the same inputs give the same bytes
    assert png("at10.png", ("reranked", "recall@10")) != at_5

    settings = load_settings(
        "demo",
        {"run.runs_root": str(root), "run.fetch_k": FETCH_K, "run.top_k": 5, "profile": "nightly"},
    )
    files = regression.write_plots(r2, qrels, _metrics(r2), settings)
    assert files["trend"].read_bytes() == at_5

    html = render_report(r2, qrels, trend_runs=[r1, r2])
    assert 'alt="Reranked recall@5 and cost over recent runs"' in html


# --------------------------------------------------------------------------- report


def test_report_is_self_contained_and_escaped(tmp_path: Path) -> None:
    run_dir, qrels = make_run(tmp_path / "runs", "run-x", model="tiny <model> & co")
    comparison = "\n".join(
        [
            "- A (baseline): run-a <script>alert(1)</script>",
            "",
            "| stage | metric | A | B |",
            "|---|---|---:|---:|",
            "| reranked | recall@10 | 0.5000 | 0.6000 |",
            "",
            "see [the dashboard](https://example.com/x) and ![img](https://example.com/i.png)",
        ]
    )
    out = write_report(run_dir, qrels, tmp_path / "out" / "report.html", comparison)
    html = out.read_text(encoding="utf-8")
    dom = parse(html)
    metrics = _metrics(run_dir)

    assert all(url.startswith("data:image/png;base64,") for url in dom.urls)
    assert len(dom.imgs) == 2 and all(_decode_data_png(src)[:8] == PNG_MAGIC for src in dom.imgs)
    assert "script" not in dom.tags and "a" not in dom.tags  # escaped / links disabled
    assert "&lt;script&gt;" in html
    assert "tiny &lt;model&gt; &amp; co" in html
    assert "table" in dom.tags and html.count("<table>") == 2  # metrics + comparison
    text = " ".join(dom.text)
    assert html.count('<tr id="metric-') == len(table_rows(metrics))
    for stage in ("retrieval", "reranked"):
        assert f"{metrics[stage]['recall@10']:.4f}" in text
    assert "headroom: already right" in text  # diagnostics lines
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temp left


def test_report_without_qrels_uses_metrics_json(run: tuple[Path, Qrels]) -> None:
    run_dir, qrels = run
    dom = parse(render_report(run_dir, None))
    assert len(dom.imgs) == 1  # headroom only: the curves need labels
    assert "Recall@k curves need the labels" in " ".join(dom.text)

    (run_dir / "metrics.json").unlink()
    bare = " ".join(parse(render_report(run_dir, None)).text)
    assert "No labels for this run" in bare
    # Without metrics.json, the given qrels are evaluated here.
    computed = " ".join(parse(render_report(run_dir, qrels)).text)
    want = evaluate_run(run_dir, qrels, FETCH_K, TOP_K, KS)
    assert f"{want['reranked']['ndcg@10']:.4f}" in computed


@pytest.mark.slow
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium)"
)
def test_report_renders_in_headless_chromium(run: tuple[Path, Qrels], tmp_path: Path) -> None:
    run_dir, qrels = run
    report = write_report(run_dir, qrels, tmp_path / "report.html")
    metrics = _metrics(run_dir)
    shot = tmp_path / "shot.png"

    dom_html = _chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    dom = parse(dom_html)
    text = " ".join(dom.text)
    assert "20250301T020000-aaaaaa" in text
    retrieval, reranked = metrics["retrieval"]["recall@10"], metrics["reranked"]["recall@10"]
    for value in (f"{retrieval:.4f}", f"{reranked:.4f}", f"{reranked - retrieval:+.4f}"):
        assert value in text
    assert len(dom.imgs) == 2
    for src in dom.imgs:
        assert_png(_decode_data_png(src))

    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", report.as_uri())
    with Image.open(shot) as img:
        assert img.size == (1200, 1600)
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is None or len(colours) > 50  # text and plots, not a blank page


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / "chromium-profile"
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    # HOME inside tmp: crash reports and caches stay out of the real home directory.
    env = {"HOME": str(tmp), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        cmd, capture_output=True, text=True, timeout=90, cwd=tmp, env=env, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    shutil.rmtree(profile, ignore_errors=True)
    return result
