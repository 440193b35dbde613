"""A user's mistake is one line on stderr, exit 2, no traceback, nothing written, and no
Prefect server started: each case runs the real console entry in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.helpers import REPO, SAMPLE, profile_overrides

Case = Callable[[Path], tuple[list[str], str]]


def _sets(overrides: dict) -> list[str]:
    return [arg for k, v in overrides.items() for arg in ("--set", f"{k}={v}")]


def _labels(tmp: Path, mutate: Callable[[list[dict]], None]) -> Path:
    rows = [json.loads(line) for line in (SAMPLE / "labels.jsonl").read_text().splitlines()[:4]]
    mutate(rows)
    path = tmp / "labels.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _run_with(tmp: Path, **extra: str) -> list[str]:
    return ["run", *_sets(profile_overrides(tmp, **extra))]


def _profile(tmp: Path, text: str) -> Path:
    path = tmp / "profile.yaml"
    path.write_text(text)
    return path


def _dead_run(tmp: Path, manifest: str) -> str:
    run_dir = tmp / "runs" / "run_date=2026-12-01" / "run_id=r1"
    run_dir.mkdir(parents=True)
    (run_dir / "manifest.json").write_text(manifest)
    return "r1"


def _no_positives(rows: list[dict]) -> None:
    rows[2]["positives"] = []


def _no_query(rows: list[dict]) -> None:
    del rows[1]["query"]


def _duplicate(rows: list[dict]) -> None:
    rows[3]["qid"] = rows[0]["qid"]


CASES: dict[str, Case] = {
    "set without =": lambda t: (["run", "--set", "run.fetch_k"], "--set run.fetch_k: expected"),
    "set unknown key": lambda t: (
        ["run", "--set", "run.fetch_kk=3"],
        "--set run.fetch_kk: unknown setting (known here: fetch_k,",
    ),
    "set wrong type": lambda t: (
        ["run", "--set", "run.fetch_k=many"],
        "--set run.fetch_k: Input should be a valid integer",
    ),
    "set top_k above fetch_k": lambda t: (
        ["run", "--set", "run.top_k=80"],
        "--set run.top_k: run.top_k (80) must not exceed run.fetch_k (50)",
    ),
    "set a section as a key": lambda t: (
        ["run", "--set", "run.top_k.x=1"],
        "--set run.top_k.x: 'top_k' is a setting, not a section",
    ),
    "unknown profile": lambda t: (["run", "-p", "nope"], "unknown profile 'nope'"),
    "profile not YAML": lambda t: (
        ["run", "-p", str(_profile(t, "dataset:\n  corpus: [a\nrun: {}\n"))],
        f"{t / 'profile.yaml'}:3: not valid YAML",
    ),
    "profile bad value": lambda t: (
        ["run", "-p", str(_profile(t, "dataset:\n  corpus: c\n  queries: q\nrun:\n  ks: x\n"))],
        f"{t / 'profile.yaml'}:5: field 'run.ks':",
    ),
    "profile unknown key": lambda t: (
        ["run", "-p", str(_profile(t, "dataset:\n  corpus: c\n  queries: q\n  lables: l\n"))],
        f"{t / 'profile.yaml'}:4: field 'dataset.lables': unknown setting (known here:",
    ),
    "flag without model": lambda t: (
        ["run", "--reranker", "flag"],
        "--set reranker.backend: reranker.model is required for backend 'flag'",
    ),
    "reranker model directory missing": lambda t: (
        _run_with(t, **{"reranker.backend": "flag", "reranker.model": str(t / "no-model")}),
        f"reranker.model {t / 'no-model'}: no such model directory",
    ),
    "hub model not cached offline": lambda t: (
        _run_with(t, **{"reranker.backend": "cross-encoder", "reranker.model": "no-org/no-model"}),
        "reranker.model no-org/no-model: not in the local Hugging Face cache and HF_HUB_OFFLINE=1",
    ),
    "cohere without a key": lambda t: (
        _run_with(t, **{"reranker.backend": "cohere"}),
        "the cohere reranker needs an API key",
    ),
    "bad missing-label-docs": lambda t: (
        ["run", "--missing-label-docs", "maybe"],
        "--set dataset.missing_label_docs: Input should be 'warn' or 'fail'",
    ),
    "labels empty positives": lambda t: (
        _run_with(
            t, **{"dataset.queries": str(p := _labels(t, _no_positives)), "dataset.labels": str(p)}
        ),
        f"{t / 'labels.jsonl'}:3: field 'positives'",
    ),
    "labels without query": lambda t: (
        _run_with(
            t, **{"dataset.queries": str(p := _labels(t, _no_query)), "dataset.labels": str(p)}
        ),
        f"{t / 'labels.jsonl'}:2: field 'query'",
    ),
    "labels duplicate qid": lambda t: (
        _run_with(
            t, **{"dataset.queries": str(p := _labels(t, _duplicate)), "dataset.labels": str(p)}
        ),
        f"{t / 'labels.jsonl'}:4: field 'qid'",
    ),
    "queries file missing": lambda t: (
        _run_with(t, **{"dataset.queries": str(t / "nope.jsonl")}),
        f"{t / 'nope.jsonl'}",
    ),
    "queries not UTF-8": lambda t: (
        _run_with(t, **{"dataset.queries": str(_write(t / "q.jsonl", b'{"_id": "\xff"}\n'))}),
        f"{t / 'q.jsonl'}:1",
    ),
    "queries file empty": lambda t: (
        _run_with(t, **{"dataset.queries": str(_write(t / "q.jsonl", b""))}),
        f"{t / 'q.jsonl'}",
    ),
    "corpus line not JSON": lambda t: (
        ["index", *_sets(profile_overrides(t, **{"dataset.corpus": str(_bad_corpus(t))}))],
        f"{t / 'corpus.jsonl'}:2:",
    ),
    "runs root on an unsupported store": lambda t: (
        _run_with(t, **{"run.runs_root": "ftp://host/runs"}),
        "ftp:// is neither a local filesystem",
    ),
    "credentials in storage options": lambda t: (
        _run_with(t, **{"run.runs_root": "s3://b/runs", "run.storage_options.secret": "x"}),
        "--set run.storage_options.secret: run.storage_options.secret: credentials do not",
    ),
    "resume an unknown run": lambda t: (
        _run_with(t) + ["--resume", "nope"],
        f"no run 'nope' under {t / 'runs'}",
    ),
    "resume a truncated manifest": lambda t: (
        _run_with(t) + ["--resume", _dead_run(t, '{"run_id": "r1", "config": {"ru')],
        "manifest.json:1: not valid JSON",
    ),
    "nightly without labels": lambda t: (
        ["nightly", *_sets(profile_overrides(t, **{"dataset.labels": "null"}))],
        "the regression set needs labels; set dataset.labels",
    ),
    "eval of a truncated manifest": lambda t: (
        ["eval", "--run", str(Path(_dead_dir(t)))],
        "manifest.json:1: not valid JSON",
    ),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _bad_corpus(tmp: Path) -> Path:
    lines = (SAMPLE / "corpus.jsonl").read_text().splitlines()[:3]
    lines[1] = lines[1][:40]
    return _write(tmp / "corpus.jsonl", ("\n".join(lines) + "\n").encode())


def _dead_dir(tmp: Path) -> Path:
    _dead_run(tmp, '{"run_id": "r1", "con')
    return tmp / "runs" / "run_date=2026-12-01" / "run_id=r1"


def _run_case(name: str, tmp: Path) -> tuple[subprocess.CompletedProcess, list[Path], str]:
    args, expected = CASES[name](tmp)
    before = sorted(p.relative_to(tmp) for p in tmp.rglob("*"))
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API") and k != "CO_API_KEY"
    }
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, before, expected


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory,
) -> dict[str, tuple[subprocess.CompletedProcess, list[Path], str, Path]]:
    """Every case's console run, two at a time: each is a process that mostly imports, so the
    cases share the machine's cores instead of queueing (the assertions stay one test each)."""
    tmps = {name: tmp_path_factory.mktemp(f"case-{i}") for i, name in enumerate(sorted(CASES))}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(_run_case, name, tmp) for name, tmp in tmps.items()}
        return {name: (*f.result(), tmps[name]) for name, f in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_users_mistake_is_one_line(name, outcomes):
    result, before, expected, tmp = outcomes[name]
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr[-3000:]
    assert len(lines) == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr + result.stdout
    assert "Starting temporary server" not in result.stderr  # checked before any server
    assert lines[0].startswith("error: ") and expected in lines[0], lines[0]
    # Nothing written: the files are the ones the case made.
    assert sorted(p.relative_to(tmp) for p in tmp.rglob("*")) == before


@pytest.mark.slow
def test_the_loser_of_two_runs_on_one_store_gets_one_line(tmp_path):
    from qdrant_client import QdrantClient

    from tasks.retrieve import vectorstore

    overrides = profile_overrides(tmp_path)
    holder = QdrantClient(path=str(tmp_path / "qdrant"))  # the run that got there first
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
        result = subprocess.run(
            [sys.executable, "-m", "flows.cli", "run", *_sets(overrides)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.close()
        vectorstore.close_clients()
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.splitlines() == [
        f"error: qdrant.path {tmp_path / 'qdrant'} is in use by another process (embedded "
        "Qdrant admits one at a time): wait for it, or use a Qdrant server (qdrant.url) for "
        "concurrent runs"
    ]
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_a_flow_logs_a_users_mistake_without_traceback(prefect_server, tmp_path):
    """A deployment run has no CLI in front: the flow refuses in its state message, and its
    log (console and API) carries the line, not a traceback."""
    from flows.rerank_batch import rerank_batch

    labels = _labels(tmp_path, _no_positives)
    overrides = profile_overrides(
        tmp_path, **{"dataset.queries": str(labels), "dataset.labels": str(labels)}
    )
    state = rerank_batch(profile="demo", overrides=overrides, return_state=True)
    assert state.is_failed()
    assert f"{labels}:3: field 'positives'" in state.message
    logs = _flow_run_logs(state.state_details.flow_run_id)
    assert any("Encountered exception during execution: InputError" in m for m in logs), logs
    assert not any("Traceback" in m for m in logs), logs
    assert not (tmp_path / "runs").exists()


def _flow_run_logs(flow_run_id) -> list[str]:
    """The flow run's log as the Prefect server holds it (what the UI shows)."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        for _ in range(50):  # the API handler ships logs in the background
            logs = client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
            )
            messages = [log.message for log in logs]
            if any("Encountered exception" in m for m in messages):
                return messages
            time.sleep(0.2)
    return messages
