"""The command line: bad input is one clear line and writes nothing; --help is useful."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.helpers import SAMPLE, profile_overrides, rerankflow, use_sample_index

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


def test_labels_naming_unknown_documents_warn_or_fail(sample_index, tmp_path):
    from tasks.retrieve import vectorstore

    use_sample_index(sample_index[0], tmp_path)
    vectorstore.close_clients()  # the runs below open the embedded store
    labels = tmp_path / "labels.jsonl"
    row = {"qid": "q1", "query": "export to pdf", "positives": ["doc_001", "no_such_doc"]}
    labels.write_text(json.dumps(row) + "\n")
    overrides = profile_overrides(
        tmp_path, **{"dataset.queries": str(labels), "dataset.labels": str(labels)}
    )
    failed = rerankflow("run", *_sets(overrides))
    assert failed.returncode == 2
    assert "1 label row(s) name documents not in the corpus" in failed.stderr
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


LIBRARY_NOISE = ("Loading weights", "it/s]", "| DEBUG", "bm25s", "sentence_transformers", "httpx")


def test_index_and_run_show_progress_and_a_headline_not_library_noise(
    prefect_server, tmp_path, monkeypatch
):
    """What a person sees: progress lines with rate and ETA, the 3-line headline before the
    table, and none of the libraries' DEBUG lines or weight-loading bars."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import LogSort

    rows = [json.loads(line) for line in (SAMPLE / "labels.jsonl").read_text().splitlines()[:6]]
    positives = {p for r in rows for p in r["positives"]}
    docs = [json.loads(line) for line in (SAMPLE / "corpus.jsonl").read_text().splitlines()]
    keep = [d for d in docs if d["_id"] in positives] + [
        d for d in docs if d["_id"] not in positives
    ][: 40 - len(positives)]
    corpus, labels = tmp_path / "corpus.jsonl", tmp_path / "labels.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in keep))
    labels.write_text("".join(json.dumps(r) + "\n" for r in rows))
    overrides = profile_overrides(
        tmp_path,
        **{
            "dataset.corpus": str(corpus),
            "dataset.queries": str(labels),
            "dataset.labels": str(labels),
            "qdrant.upsert_batch_size": 8,
            "run.query_batch_size": 2,
        },
    )
    # The CLI quiets the libraries itself, not an environment this process passes on.
    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    index = rerankflow("index", *_sets(overrides))
    assert index.returncode == 0, index.stderr[-2000:]
    out = index.stdout + index.stderr
    assert "indexing: 8/40 documents (20%), " in out and " documents/s, ETA " in out
    assert "indexing: 40/40 documents (100%), " in out and " s in all" in out
    run = rerankflow("run", *_sets(overrides))
    assert run.returncode == 0, run.stderr[-2000:]
    out += run.stdout + run.stderr
    assert "retrieving: 6/6 queries (100%)" in out and "reranking: 3/3 batches (100%)" in out
    assert [noise for noise in LIBRARY_NOISE if noise in out] == []
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if " after bm25 reranking (" in line)
    assert lines[first].split(" - ", 1)[1].startswith("recall@10: ")
    assert lines[first + 1].startswith("retrieval ceiling recall@50: ")
    assert lines[first + 2].startswith("cost per 1,000 queries: free (bm25 ")
    assert lines[first + 4].split() == ["metric", "retrieval", "reranked", "delta"]
    # The same lines are in the runs' logs on the server (the UI's log tab).
    with get_client(sync_client=True) as client:
        logs = client.read_logs(limit=200, sort=LogSort.TIMESTAMP_DESC)
    messages = {log.message for log in logs}
    shown = [line.split(" - ", 1)[1] for line in lines if "40/40 documents" in line]
    shown += [line.split(" - ", 1)[1] for line in lines if "3/3 batches" in line]
    assert len(shown) == 2 and set(shown) <= messages
