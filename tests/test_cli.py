"""The command line: bad input is one clear line and writes nothing; --help is useful."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from flows.cli import app

from .conftest import SAMPLE, profile_overrides

runner = CliRunner()


@pytest.mark.parametrize("command", ["index", "run", "eval", "demo"])
def test_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output and len(result.output.splitlines()) > 5


def _sets(overrides: dict) -> list[str]:
    return [arg for k, v in overrides.items() for arg in ("--set", f"{k}={v}")]


def rerankflow(*args: str) -> subprocess.CompletedProcess:
    """The real console entry in its own process, recording on the session's test server."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


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
