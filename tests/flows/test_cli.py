"""The command line: bad input is one clear line and writes nothing; --help is useful."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.helpers import SAMPLE, profile_overrides, rerankflow

runner = CliRunner()


@pytest.mark.parametrize("command", ["index", "run", "eval", "demo"])
def test_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output and len(result.output.splitlines()) > 5


def _sets(overrides: dict) -> list[str]:
    return [arg for k, v in overrides.items() for arg in ("--set", f"{k}={v}")]


def test_bad_labels_stop_the_run_with_file_line_field(prefect_server, tmp_path):
    bad = tmp_path / "labels.jsonl"
    rows = [json.loads(line) for line in (SAMPLE / "labels.jsonl").read_text().splitlines()[:3]]
    rows[2]["positives"] = []
    bad.write_text("".join(json.dumps(r) + "\n" for r in rows))
    overrides = profile_overrides(
        tmp_path, **{"dataset.queries": str(bad), "dataset.labels": str(bad)}
    )
    result = rerankflow("run", *_sets(overrides))
    assert result.returncode == 2
    assert f"error: {bad}:3: field 'positives'" in result.stderr
    assert not (tmp_path / "runs").exists()  # nothing half-written


def test_labels_naming_unknown_documents_warn_or_fail(prefect_server, tmp_path):
    labels = tmp_path / "labels.jsonl"
    row = {"qid": "q1", "query": "export to pdf", "positives": ["doc_001", "no_such_doc"]}
    labels.write_text(json.dumps(row) + "\n")
    overrides = profile_overrides(
        tmp_path, **{"dataset.queries": str(labels), "dataset.labels": str(labels)}
    )
    failed = rerankflow("run", *_sets(overrides))
    assert failed.returncode == 2
    assert "1 label row(s) name documents not in the corpus" in failed.stderr
    assert rerankflow("index", *_sets(overrides)).returncode == 0
    warned = rerankflow("run", "--missing-label-docs", "warn", *_sets(overrides))
    assert warned.returncode == 0, warned.stderr[-2000:]
    [manifest] = (tmp_path / "runs").glob("*/*/manifest.json")
    assert json.loads(manifest.read_text())["counts"]["labels_missing_docs"] == 1


def test_run_before_index_says_what_to_do(prefect_server, tmp_path):
    result = rerankflow("run", *_sets(profile_overrides(tmp_path)))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "rerankflow index" in result.stderr
    assert not (tmp_path / "runs").exists()


def _labels_file(path, rows: dict[str, list[str]]):
    lines = [
        json.dumps({"qid": q, "query": f"question {q}", "positives": p}) for q, p in rows.items()
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _chunk_run(tmp_path, group_key: str | None):
    from tests.helpers.runs import write_group_run

    def group(g: str) -> str | None:
        return g if group_key else None

    candidates = {
        "q1": [
            ("c7", group("src_a"), 0.9),
            ("c3", group("src_b"), 0.8),
            ("c5", group("src_a"), 0.7),
        ],
        "q2": [("c1", group("src_c"), 0.6), ("c2", group("src_a"), 0.5)],
    }
    run_dir = write_group_run(
        tmp_path / "run_id=R", candidates, candidates, group_key=group_key, fetch_k=3, top_k=3
    )
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["config"]["dataset"] = {"labels": None}
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    return run_dir


def test_eval_labels_that_match_nothing_exit_2(prefect_server, tmp_path):
    run_dir = _chunk_run(tmp_path, group_key=None)
    labels = _labels_file(tmp_path / "labels.jsonl", {"q1": ["doc_9"], "q2": ["doc_12"]})
    result = rerankflow("eval", "--run", str(run_dir), "--labels", str(labels))
    assert result.returncode == 2, result.stdout
    assert (
        f"error: {labels}: no label id matches a document in run R (e.g. 'doc_12', 'doc_9'); "
        "labels must name the run's document ids, such as 'c1', 'c2', 'c3'"
    ) in result.stderr
    assert "0.0000" not in result.stdout


def test_eval_at_group_level(prefect_server, tmp_path):
    run_dir = _chunk_run(tmp_path, group_key="source")
    labels = _labels_file(tmp_path / "labels.jsonl", {"q1": ["src_b"], "q2": ["src_a"]})
    result = rerankflow("eval", "--run", str(run_dir), "--labels", str(labels), "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    metrics = json.loads(result.stdout)
    assert metrics["unit"] == {"level": "group", "group_key": "source"}
    # q1 groups src_a, src_b: src_b at group rank 2 (chunk rank 2); q2: src_a at 2 of 2.
    assert metrics["retrieval"]["recall@1"] == 0.0
    assert metrics["retrieval"]["recall@3"] == 1.0
    assert metrics["retrieval"]["chunk_coverage@1"] == 0.0
    table = rerankflow("eval", "--run", str(run_dir), "--labels", str(labels))
    assert "unit: group (qdrant.group_key=source)" in table.stdout
    chunk_labels = _labels_file(tmp_path / "chunks.jsonl", {"q1": ["c3"]})
    refused = rerankflow("eval", "--run", str(run_dir), "--labels", str(chunk_labels))
    assert refused.returncode == 2
    assert (
        f"error: {chunk_labels}: no label id matches a group in run R (e.g. 'c3'); at group "
        "level labels must name groups (qdrant.group_key=source)"
    ) in refused.stderr
