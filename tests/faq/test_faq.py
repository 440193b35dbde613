"""FAQ precompute: incremental refresh, atomic swap under a concurrent reader, lookup."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from config.settings import load_settings
from flows.faq_precompute import faq_precompute
from tasks import faq
from tasks.inputs.loaders import load_corpus, load_queries
from tasks.runs.layout import RERANKED_SCHEMA
from tasks.types import InputError, Query
from tests.helpers import REPO, SAMPLE, profile_overrides, use_sample_index

# Eight FAQ questions from the sample, plus one phrased for the normalization check.
UPLOAD_Q = ("faq-upload", "what is the max file upload size on plus")
QUESTIONS = [(q.qid, q.text) for q in load_queries(SAMPLE / "labels.jsonl")[:7]] + [UPLOAD_Q]


# --------------------------------------------------------------------------- plain functions


def test_normalize_query():
    assert faq.normalize_query("  What IS\tthe  max\u00a0file upload size on PLUS ") == (
        "what is the max file upload size on plus"
    )
    assert faq.normalize_query("Ｅ-４０３ ERROR") == "e-403 error"  # NFKC: full-width forms
    assert faq.normalize_query("STRASSE") == faq.normalize_query("straße")  # casefold, not lower
    # Trailing sentence punctuation and the whitespace around it go; inner punctuation stays.
    key = "how do i export to pdf"
    for text in (
        "How do I export to PDF",
        "how do i export to pdf?",
        "How do I export to PDF ?! ",
        "How do I export to PDF...",
        "How do I export to PDF\uff1f",  # full-width question mark
        "How do I export to PDF \uff01\uff0e",  # full-width ! and .
        "How do I export to PDF\u3002",  # ideographic full stop
    ):
        assert faq.normalize_query(text) == key, text
    assert faq.normalize_query("e.g. what? or why?") == "e.g. what? or why"
    assert faq.normalize_query("Is 3.5 > 3.4?") == "is 3.5 > 3.4"


def test_question_empty_after_normalization_rejected(tmp_path):
    queries = [Query("a", "Reset my password"), Query("b", " ?! ")]
    with pytest.raises(InputError, match=r"faq\.jsonl: entry 2: field 'text'.*'b' is empty"):
        faq.check_unique_questions(queries, tmp_path / "faq.jsonl")


def test_rows_under_a_stale_key_are_recomputed_not_orphaned():
    """A table written under an older normalization (which kept the '?') is rebuilt: its key
    is in the hash, so the question is recomputed and its old-key rows are not carried."""
    fp = faq.inputs_fingerprint(load_settings("demo"), "c")
    queries = [Query("pdf", "How do I export to PDF?"), Query("pw", "Reset my password")]
    current = faq.plan(queries, fp, None, "q.jsonl")
    previous = _rows(current, ["pdf", "pw"], "r1")
    old_key = "how do i export to pdf?"
    stale = pa.Table.from_pylist(
        [
            {**row, "query_norm": old_key, "inputs_hash": faq.inputs_hash(old_key, fp)}
            if row["qid"] == "pdf"
            else row
            for row in previous.to_pylist()
        ],
        schema=faq.FAQ_SCHEMA,
    )
    again = faq.plan(queries, fp, stale, "q.jsonl")
    assert [q.qid for q in again.todo] == ["pdf"] and again.carried == ["pw"]
    # Even if its recompute fails, the old-key rows are not kept: no lookup could reach them.
    assert faq.kept_on_failure(stale, again, ["pdf"]) == []
    table = faq.assemble(stale, again.carried, _rows(again, ["pdf"], "r2"))
    assert old_key not in table.column("query_norm").to_pylist()
    assert sorted(table.column("query_norm").to_pylist()) == [
        "how do i export to pdf",
        "reset my password",
    ]


def test_duplicate_normalized_questions_rejected(tmp_path):
    queries = [Query("a", "Reset my password"), Query("b", "  reset MY password ")]
    with pytest.raises(InputError, match=r"faq\.jsonl: entry 2: field 'text'.*'b'.*'a'"):
        faq.check_unique_questions(queries, tmp_path / "faq.jsonl")


def test_fingerprint_ignores_operational_settings():
    base = load_settings("demo")

    def fp(**overrides):
        return faq.inputs_fingerprint(load_settings("demo", overrides), "c")

    assert fp() == faq.inputs_fingerprint(base, "c")
    assert fp(**{"reranker.batch_size": 7, "embedder.batch_size": 3, "qdrant.path": "/x"}) == fp()
    assert fp(**{"reranker.bm25_weight": 0.9}) != fp()
    assert fp(**{"run.top_k": 5}) != fp() and fp(**{"run.fetch_k": 20}) != fp()
    assert fp(**{"embedder.query_prefix": "query: "}) != fp()
    # bm25_weight means nothing to the `none` backend.
    none = {"reranker.backend": "none"}
    assert fp(**none) == fp(**none, **{"reranker.bm25_weight": 0.9})


def _rows(plan: faq.Plan, qids: list[str], run_id: str) -> pa.Table:
    reranked = pa.Table.from_pydict(
        {
            "qid": qids,
            "rank": [1] * len(qids),
            "doc_id": ["d1"] * len(qids),
            "rerank_score": [1.0] * len(qids),
            "retrieval_rank": [1] * len(qids),
            "retrieval_score": [0.5] * len(qids),
            "group_id": [None] * len(qids),
        },
        schema=RERANKED_SCHEMA,
    )
    at = {q: datetime(2026, 1, 1, tzinfo=UTC) for q in qids}
    return faq.computed_rows(reranked, plan, {"d1": "doc one"}, run_id, "bm25", at)


def test_failed_question_keeps_its_old_answer_only_if_unchanged():
    fp = faq.inputs_fingerprint(load_settings("demo"), "c")
    first = faq.plan([Query("a", "alpha"), Query("b", "beta")], fp, None, "q.jsonl")
    previous = _rows(first, ["a", "b"], "r1")
    # New settings: both must be recomputed; b's question changed too. Both fail.
    fp2 = {**fp, "top_k": 3}
    second = faq.plan([Query("a", "Alpha "), Query("b", "gamma")], fp2, previous, "q.jsonl")
    assert [q.qid for q in second.todo] == ["a", "b"] and second.carried == []
    keep = faq.kept_on_failure(previous, second, ["a", "b"])
    assert keep == ["a"]  # b's old rows answer a question no longer asked
    table = faq.assemble(previous, keep, None)
    assert table.column("qid").to_pylist() == ["a"]
    assert table.column("inputs_hash").to_pylist() == [first.hashes["a"]]  # retried next time


def test_lookup_without_a_table(tmp_path):
    with pytest.raises(FileNotFoundError, match="rerankflow faq precompute"):
        faq.lookup(tmp_path, "anything")


# --------------------------------------------------------------------------- the flow


@pytest.fixture(scope="module")
def indexed(sample_index, tmp_path_factory) -> Path:
    return use_sample_index(sample_index[0], tmp_path_factory.mktemp("faq-index"))


def precompute(
    indexed: Path,
    faq_dir: Path,
    questions: list[tuple[str, str]],
    deployment_overrides: dict | None = None,
    **settings,
) -> dict:
    """Write the question list as BEIR queries.jsonl and refresh the table in `faq_dir`."""
    path = faq_dir.with_name(faq_dir.name + "-questions.jsonl")
    lines = [json.dumps({"_id": qid, "text": text}) for qid, text in questions]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    overrides = profile_overrides(
        indexed, **{"dataset.queries": str(path), "dataset.labels": None, **settings}
    )
    return faq_precompute(
        profile="demo",
        overrides=overrides,
        faq_dir=str(faq_dir),
        deployment_overrides=deployment_overrides,
    )


def read(faq_dir: Path) -> pa.Table:
    return pq.read_table(faq_dir / faq.PARQUET_FILE).replace_schema_metadata(None)


def by_qid(table: pa.Table) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in table.to_pylist():
        out.setdefault(row["qid"], []).append(row)
    return out


@pytest.mark.slow
def test_first_run_computes_all_and_lookup_serves_it(indexed, tmp_path):
    faq_dir = tmp_path / "faq"
    result = precompute(indexed, faq_dir, QUESTIONS)
    assert result["counts"] == {
        "recomputed": 8,
        "carried_over": 0,
        "dropped": 0,
        "failed": 0,
        "total": 8,
        "rows": 80,
    }
    assert sorted(result["recomputed_qids"]) == sorted(q for q, _ in QUESTIONS)

    table = read(faq_dir)
    assert table.schema == faq.FAQ_SCHEMA
    assert set(table.column("run_id").to_pylist()) == {result["run_id"]}
    assert set(table.column("model").to_pylist()) == {"bm25"}

    texts = {d.doc_id: d.full_text for d in load_corpus(SAMPLE / "corpus.jsonl")}
    rows = faq.lookup(faq_dir, QUESTIONS[0][1], top_k=3)
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert all(r["text"] == texts[r["doc_id"]] and r["qid"] == QUESTIONS[0][0] for r in rows)
    assert rows[0]["score"] >= rows[1]["score"] >= rows[2]["score"]
    assert rows[0]["created_at"].utcoffset().total_seconds() == 0
    assert len(faq.lookup(faq_dir, QUESTIONS[0][1])) == 10

    # Normalization: case, extra and odd whitespace all find the same rows.
    messy = "  What IS the\u00a0max file   upload size on PLUS "
    assert faq.lookup(faq_dir, messy) == faq.lookup(faq_dir, UPLOAD_Q[1])
    assert [r["qid"] for r in faq.lookup(faq_dir, messy)] == ["faq-upload"] * 10
    assert faq.lookup(faq_dir, "a question nobody asked") == []

    # The three files describe one table version; the run that computed it is a normal run.
    manifest = json.loads((faq_dir / faq.MANIFEST_FILE).read_text())
    assert manifest["table_hash"] == faq.table_hash(table) == result["table_hash"]
    with duckdb.connect(str(faq_dir / faq.DB_FILE), read_only=True) as con:
        assert con.execute("SELECT table_hash, rows FROM faq_meta").fetchone() == (
            manifest["table_hash"],
            80,
        )
    run_manifest = json.loads(Path(result["run_dir"], "manifest.json").read_text())
    assert run_manifest["kind"] == "faq" and run_manifest["status"] == "completed"
    assert Path(result["run_dir"], "calls.parquet").exists()

    # The CLI prints the same rows; an unknown question exits 1.
    from typer.testing import CliRunner

    from flows.cli import app

    runner = CliRunner()
    args = ["faq", "lookup", messy, "--faq-dir", str(faq_dir), "--top-k", "3", "--json"]
    printed = runner.invoke(app, args)
    assert printed.exit_code == 0, printed.output
    want = faq.lookup(faq_dir, messy, top_k=3)
    assert [(r["doc_id"], r["score"]) for r in json.loads(printed.output)] == [
        (r["doc_id"], r["score"]) for r in want
    ]
    unknown = runner.invoke(app, ["faq", "lookup", "nobody asked", "--faq-dir", str(faq_dir)])
    assert unknown.exit_code == 1


@pytest.mark.slow
def test_lookup_without_final_punctuation_and_stale_keys_rebuilt(indexed, tmp_path):
    faq_dir = tmp_path / "faq"
    questions = [*QUESTIONS, ("faq-pdf", "how do i export to pdf?")]
    # The deployment's own overrides apply (top_k 5) under the user's (which leave top_k).
    first = precompute(indexed, faq_dir, questions, deployment_overrides={"run.top_k": 5})
    assert first["counts"]["rows"] == 9 * 5
    rows = faq.lookup(faq_dir, "How do I export to PDF")
    assert [r["qid"] for r in rows] == ["faq-pdf"] * 5
    assert rows[0]["query_norm"] == "how do i export to pdf"

    # A table written by an older normalization that kept the '?': the row's key and hash.
    old_key = "how do i export to pdf?"
    fingerprint = json.loads((faq_dir / faq.MANIFEST_FILE).read_text())["inputs"]
    stale = [
        {**row, "query_norm": old_key, "inputs_hash": faq.inputs_hash(old_key, fingerprint)}
        if row["qid"] == "faq-pdf"
        else row
        for row in read(faq_dir).to_pylist()
    ]
    pq.write_table(pa.Table.from_pylist(stale, schema=faq.FAQ_SCHEMA), faq_dir / faq.PARQUET_FILE)
    second = precompute(indexed, faq_dir, questions, deployment_overrides={"run.top_k": 5})
    assert second["recomputed_qids"] == ["faq-pdf"] and second["counts"]["carried_over"] == 8
    assert old_key not in read(faq_dir).column("query_norm").to_pylist()
    assert [r["doc_id"] for r in faq.lookup(faq_dir, "How do I export to PDF?")] == [
        r["doc_id"] for r in rows
    ]


@pytest.mark.slow
def test_unchanged_rerun_recomputes_nothing(indexed, tmp_path):
    faq_dir = tmp_path / "faq"
    first = precompute(indexed, faq_dir, QUESTIONS)
    before = read(faq_dir)
    second = precompute(indexed, faq_dir, QUESTIONS)
    assert second["counts"]["recomputed"] == 0 and second["recomputed_qids"] == []
    assert second["counts"]["carried_over"] == 8 and second["run_dir"] is None
    after = read(faq_dir)
    assert after.equals(before)  # created_at and run_id included
    assert set(after.column("run_id").to_pylist()) == {first["run_id"]}
    assert second["table_hash"] == first["table_hash"]
    assert json.loads((faq_dir / faq.MANIFEST_FILE).read_text())["run_id"] == second["run_id"]


@pytest.mark.slow
def test_changed_added_removed_questions(indexed, tmp_path):
    faq_dir = tmp_path / "faq"
    precompute(indexed, faq_dir, QUESTIONS)
    before = by_qid(read(faq_dir))
    (q1, old_text), (q2, _) = QUESTIONS[1], QUESTIONS[2]
    kept = [q for q in QUESTIONS if q[0] not in (q1, q2)]
    edited = [
        (q1, "export a notebook as markdown"),
        *kept,
        ("faq-new", "how do I delete my account"),
    ]
    result = precompute(indexed, faq_dir, edited)

    assert sorted(result["recomputed_qids"]) == sorted([q1, "faq-new"])
    assert result["dropped_qids"] == [q2]
    assert result["counts"] == {
        "recomputed": 2,
        "carried_over": 6,
        "dropped": 1,
        "failed": 0,
        "total": 8,
        "rows": 80,
    }
    after = by_qid(read(faq_dir))
    assert q2 not in after and "faq-new" in after
    for qid in set(after) - {q1, "faq-new"}:
        assert after[qid] == before[qid]  # same created_at and run_id
    assert faq.lookup(faq_dir, old_text) == []
    assert {r["run_id"] for r in faq.lookup(faq_dir, "Export a notebook as Markdown")} == {
        result["run_id"]
    }


@pytest.mark.slow
def test_settings_changes(indexed, tmp_path):
    faq_dir = tmp_path / "faq"
    precompute(indexed, faq_dir, QUESTIONS)
    weight = precompute(indexed, faq_dir, QUESTIONS, **{"reranker.bm25_weight": 0.8})
    assert weight["counts"]["recomputed"] == 8
    top_k = precompute(indexed, faq_dir, QUESTIONS, **{"reranker.bm25_weight": 0.8, "run.top_k": 5})
    assert top_k["counts"]["recomputed"] == 8 and top_k["counts"]["rows"] == 40
    # Batch sizes change how fast, not what: nothing to recompute.
    speed = precompute(
        indexed,
        faq_dir,
        QUESTIONS,
        **{"reranker.bm25_weight": 0.8, "run.top_k": 5, "run.query_batch_size": 3},
    )
    assert speed["counts"]["recomputed"] == 0


@pytest.mark.slow
def test_writer_lock_refuses_a_second_writer(indexed, tmp_path):
    faq_dir = tmp_path / "faq"
    with faq.writer_lock(faq_dir), pytest.raises(RuntimeError, match="another FAQ precompute"):
        precompute(indexed, faq_dir, QUESTIONS)
    assert not (faq_dir / faq.DB_FILE).exists()


# --------------------------------------------------------------------------- readers


READER = r"""
import hashlib, json, pathlib, sys
import duckdb, pyarrow.parquet as pq

faq_dir, out, stop = map(pathlib.Path, sys.argv[1:4])

def digest(rows):
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()

with out.open("w") as log:
    while not stop.exists():
        con = duckdb.connect(str(faq_dir / "faq.duckdb"), read_only=True)
        try:
            rows = con.execute(
                "SELECT qid, rank, doc_id, run_id FROM faq ORDER BY qid, rank"
            ).fetchall()
            (meta,) = con.execute("SELECT table_hash FROM faq_meta").fetchone()
        finally:
            con.close()
        log.write(json.dumps(["duckdb", digest([list(r) for r in rows]), meta]) + "\n")
        # One open handle: pq.read_table(path) opens the path twice (footer, then data), and
        # a swap between the two would pair the old footer with the new file.
        with open(faq_dir / "faq.parquet", "rb") as f:
            table = pq.read_table(f)
        meta = table.schema.metadata[b"rerankflow.table_hash"].decode()
        table = table.sort_by([("qid", "ascending"), ("rank", "ascending")])
        rows = table.select(["qid", "rank", "doc_id", "run_id"]).to_pylist()
        rows = [list(r.values()) for r in rows]
        log.write(json.dumps(["parquet", digest(rows), meta]) + "\n")
        log.flush()
"""


def version_of(faq_dir: Path) -> tuple[str, str]:
    """What the reader records for a table: digest of its (qid, rank, doc_id, run_id) rows."""
    table = read(faq_dir).sort_by([("qid", "ascending"), ("rank", "ascending")])
    rows = [list(r.values()) for r in table.select(["qid", "rank", "doc_id", "run_id"]).to_pylist()]
    digest = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
    return digest, json.loads((faq_dir / faq.MANIFEST_FILE).read_text())["table_hash"]


def wait_for_lines(path: Path, n: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= n:
            return
        time.sleep(0.05)
    raise TimeoutError(f"{path}: reader wrote fewer than {n} lines in {timeout} s")


@pytest.mark.slow
def test_reader_sees_old_or_new_table_never_a_mix(indexed, tmp_path):
    faq_dir = tmp_path / "faq"
    precompute(indexed, faq_dir, QUESTIONS)
    old = version_of(faq_dir)
    out, stop = tmp_path / "reads.jsonl", tmp_path / "stop"
    # A separate process: DuckDB's file locks and instance cache are per process.
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(faq_dir), str(out), str(stop)], cwd=REPO
    )
    try:
        wait_for_lines(out, 2)
        edited = [(QUESTIONS[0][0], "export my notes to pdf")] + QUESTIONS[1:]
        result = precompute(indexed, faq_dir, edited, **{"run.top_k": 5})
        assert result["counts"]["recomputed"] == 8
        wait_for_lines(out, len(out.read_text().splitlines()) + 4)
    finally:
        stop.touch()
        assert reader.wait(timeout=60) == 0
    new = version_of(faq_dir)
    assert new != old

    reads = [json.loads(line) for line in out.read_text().splitlines()]
    seen = {(digest, meta) for _, digest, meta in reads}
    assert seen <= {old, new}, f"a read saw a table that is neither version: {seen - {old, new}}"
    assert {old, new} <= seen  # the reader really did straddle the swap
    for source in ("duckdb", "parquet"):
        assert {(d, m) for s, d, m in reads if s == source} <= {old, new}


@pytest.mark.slow
def test_lookup_db_opens_read_only_and_no_temp_files_remain(indexed, tmp_path):
    faq_dir = tmp_path / "faq"
    precompute(indexed, faq_dir, QUESTIONS)
    assert sorted(p.name for p in faq_dir.iterdir()) == [
        ".faq.lock",
        "faq.duckdb",
        "faq.json",
        "faq.parquet",
    ]
    with duckdb.connect(str(faq_dir / faq.DB_FILE), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM faq").fetchone() == (80,)
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM faq")
    # Two read-only connections from one process at once, as an app's workers might hold.
    with duckdb.connect(str(faq_dir / faq.DB_FILE), read_only=True):
        assert len(faq.lookup(faq_dir, QUESTIONS[3][1], top_k=2)) == 2
    with pytest.raises(ValueError, match="top_k"):
        faq.lookup(faq_dir, QUESTIONS[3][1], top_k=0)
