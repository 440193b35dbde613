"""Loaders: good input in every format, and one test per kind of bad input."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tasks.inputs.loaders import (
    check_labels_against_corpus,
    dataset_hash,
    load_corpus,
    load_qrels,
    load_queries,
)
from tasks.types import Document, InputError, Query
from tests.helpers import DATASETS

HEADER = "query-id\tcorpus-id\tscore\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def check_message(
    exc: pytest.ExceptionInfo[InputError], path: Path, line: int | None, field: str | None
) -> str:
    """The error is one line and names the file, the line and the field."""
    message = str(exc.value)
    assert "\n" not in message
    prefix = f"{path}:{line}: " if line is not None else f"{path}: "
    assert message.startswith(prefix), message
    if field is not None:
        assert f"field '{field}'" in message, message
    return message


# --- corpus: good input --------------------------------------------------------------------


def test_corpus_round_trip(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "corpus.jsonl",
        "\ufeff"  # a BOM at the start is tolerated
        '{"_id": "d1", "title": "T1", "text": "body one", "metadata": {}}\r\n'
        "\n"
        '{"_id": 2, "text": "no title, numeric id"}\n'
        '{"_id": "d3", "title": null, "text": "line\\nbreak and \u2028 separator"}\n'
        "   \n",
    )
    assert load_corpus(path) == [
        Document("d1", "body one", "T1"),
        Document("2", "no title, numeric id", ""),
        Document("d3", "line\nbreak and \u2028 separator", ""),
    ]


def test_corpus_title_only_document_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "corpus.jsonl", '{"_id": "d1", "title": "only a title", "text": ""}\n')
    assert load_corpus(path) == [Document("d1", "", "only a title")]


def test_corpus_empty_document_warns_by_default(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(
        tmp_path,
        "corpus.jsonl",
        '{"_id": "d1", "text": "x"}\n{"_id": "d2", "title": "", "text": "  "}\n',
    )
    with caplog.at_level(logging.WARNING, logger="tasks.inputs.corpus"):
        docs = load_corpus(path)
    assert [d.doc_id for d in docs] == ["d1", "d2"]
    assert "1 document(s) with empty title and text" in caplog.text
    assert "line 2 'd2'" in caplog.text


def test_corpus_empty_document_fails_when_asked(tmp_path: Path) -> None:
    path = write(
        tmp_path, "corpus.jsonl", '{"_id": "d1", "text": "x"}\n{"_id": "d2", "text": ""}\n'
    )
    with pytest.raises(InputError) as exc:
        load_corpus(path, empty_docs="fail")
    check_message(exc, path, 2, "text")


# --- JSONL: bad input, one case each --------------------------------------------------------

CORPUS_ROW_ERRORS = [
    ("missing id", '{"text": "x"}', "_id", "missing"),
    ("empty id", '{"_id": "", "text": "x"}', "_id", "empty"),
    ("whitespace id", '{"_id": "  ", "text": "x"}', "_id", "empty"),
    ("list id", '{"_id": ["a"], "text": "x"}', "_id", "expected a string id, got array"),
    ("bool id", '{"_id": true, "text": "x"}', "_id", "expected a string id, got boolean"),
    ("null id", '{"_id": null, "text": "x"}', "_id", "got null"),
    ("float id", '{"_id": 1.5, "text": "x"}', "_id", "got float"),
    ("missing text", '{"_id": "d9"}', "text", "missing"),
    ("text not a string", '{"_id": "d9", "text": 5}', "text", "expected a string"),
    ("title not a string", '{"_id": "d9", "title": [], "text": "x"}', "title", "expected a string"),
]


@pytest.mark.parametrize(
    ("row", "field", "problem"),
    [case[1:] for case in CORPUS_ROW_ERRORS],
    ids=[case[0] for case in CORPUS_ROW_ERRORS],
)
def test_corpus_rejects_bad_row(tmp_path: Path, row: str, field: str, problem: str) -> None:
    # Line 3, after a good row and a blank line: blank lines still count.
    path = write(tmp_path, "corpus.jsonl", '{"_id": "d1", "text": "ok"}\n\n' + row + "\n")
    with pytest.raises(InputError) as exc:
        load_corpus(path)
    assert problem in check_message(exc, path, 3, field)


def test_malformed_json(tmp_path: Path) -> None:
    path = write(tmp_path, "corpus.jsonl", '{"_id": "d1", "text": "ok"}\n{"_id": "d2", "text": }\n')
    with pytest.raises(InputError) as exc:
        load_corpus(path)
    message = check_message(exc, path, 2, None)
    assert "malformed JSON" in message
    assert "column" in message


def test_row_that_is_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, "queries.jsonl", '{"_id": "q1", "text": "a"}\n["q2", "b"]\n')
    with pytest.raises(InputError) as exc:
        load_queries(path)
    assert "expected a JSON object, got array" in check_message(exc, path, 2, None)


def test_duplicate_doc_id_names_both_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "corpus.jsonl",
        '{"_id": "d1", "text": "a"}\n{"_id": "d2", "text": "b"}\n{"_id": "d1", "text": "c"}\n',
    )
    with pytest.raises(InputError) as exc:
        load_corpus(path)
    assert "duplicate id 'd1' (first at line 1)" in check_message(exc, path, 3, "_id")


def test_int_and_string_ids_that_collide_are_duplicates(tmp_path: Path) -> None:
    path = write(tmp_path, "corpus.jsonl", '{"_id": 7, "text": "a"}\n{"_id": "7", "text": "b"}\n')
    with pytest.raises(InputError) as exc:
        load_corpus(path)
    check_message(exc, path, 2, "_id")


def test_non_utf8_bytes_name_the_line(tmp_path: Path) -> None:
    content = b'{"_id": "d1", "text": "ok"}\n{"_id": "d2", "text": "caf\xe9"}\n'
    path = write(tmp_path, "corpus.jsonl", content)
    with pytest.raises(InputError) as exc:
        load_corpus(path)
    assert "not valid UTF-8 (byte 0xe9 at column 27)" in check_message(exc, path, 2, None)


@pytest.mark.parametrize("content", ["", "\n\n  \n", "\ufeff"], ids=["empty", "blank", "bom"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, "corpus.jsonl", content)
    with pytest.raises(InputError) as exc:
        load_corpus(path)
    assert "file is empty" in check_message(exc, path, None, None)


@pytest.mark.parametrize("loader", [load_corpus, load_queries, load_qrels, dataset_hash])
def test_missing_file(tmp_path: Path, loader: object) -> None:
    path = tmp_path / "nope.jsonl"
    with pytest.raises(InputError) as exc:
        loader(path)  # type: ignore[operator]
    assert str(exc.value) == f"{path}: file not found"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.mkdir()
    with pytest.raises(InputError) as exc:
        load_corpus(path)
    assert "not a regular file" in check_message(exc, path, None, None)


# --- BEIR queries ---------------------------------------------------------------------------


def test_beir_queries_round_trip(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "queries.jsonl",
        '{"_id": "q1", "text": "first?", "metadata": {"x": 1}}\n{"_id": 2, "text": "second"}\n',
    )
    assert load_queries(path) == [Query("q1", "first?"), Query("2", "second")]


@pytest.mark.parametrize(
    ("row", "field", "problem"),
    [
        ('{"_id": "q2"}', "text", "missing"),
        ('{"_id": "q2", "text": "   "}', "text", "empty"),
        ('{"_id": "", "text": "x"}', "_id", "empty"),
        ('{"_id": "q1", "text": "again"}', "_id", "duplicate id 'q1' (first at line 1)"),
        ('{"qid": "q2", "query": "x"}', "_id", "missing"),
    ],
    ids=["missing text", "blank text", "empty id", "duplicate", "other format"],
)
def test_beir_queries_reject_bad_row(tmp_path: Path, row: str, field: str, problem: str) -> None:
    path = write(tmp_path, "queries.jsonl", '{"_id": "q1", "text": "ok"}\n' + row + "\n")
    with pytest.raises(InputError) as exc:
        load_queries(path)
    assert problem in check_message(exc, path, 2, field)


def test_queries_unknown_first_row(tmp_path: Path) -> None:
    path = write(tmp_path, "queries.jsonl", '\n{"id": "q1", "question": "x"}\n')
    with pytest.raises(InputError) as exc:
        load_queries(path)
    check_message(exc, path, 2, "_id")


def test_queries_unsupported_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "queries.csv", "qid,query\nq1,x\n")
    with pytest.raises(InputError) as exc:
        load_queries(path)
    assert "unsupported file type '.csv'" in check_message(exc, path, None, None)


# --- labels.jsonl ---------------------------------------------------------------------------

LABELS = (
    '{"qid": "q01", "query": "what is x?", "positives": ["doc_142", "doc_7"]}\n'
    '{"qid": "q02", "query": "why y?", "positives": [12]}\n'
)


def test_labels_round_trip(tmp_path: Path) -> None:
    path = write(tmp_path, "labels.jsonl", LABELS)
    assert load_queries(path) == [Query("q01", "what is x?"), Query("q02", "why y?")]
    assert load_qrels(path) == {"q01": {"doc_142": 1, "doc_7": 1}, "q02": {"12": 1}}


@pytest.mark.parametrize(
    ("row", "field", "problem"),
    [
        ('{"qid": "q03", "query": "z"}', "positives", "missing"),
        ('{"qid": "q03", "query": "z", "positives": null}', "positives", "missing"),
        ('{"qid": "q03", "query": "z", "positives": []}', "positives", "empty"),
        ('{"qid": "q03", "query": "z", "positives": "d1"}', "positives", "got string"),
        ('{"qid": "q03", "query": "z", "positives": ["d1", ""]}', "positives", "empty"),
        ('{"qid": "q03", "query": "z", "positives": [{"id": 1}]}', "positives", "got object"),
        ('{"qid": "q03", "query": "z", "positives": ["d1", "d1"]}', "positives", "duplicate"),
        ('{"qid": "q03", "positives": ["d1"]}', "query", "missing"),
        ('{"qid": "q03", "query": "", "positives": ["d1"]}', "query", "empty"),
        ('{"qid": " ", "query": "z", "positives": ["d1"]}', "qid", "empty"),
        ('{"query": "z", "positives": ["d1"]}', "qid", "missing"),
        (
            '{"qid": "q01", "query": "z", "positives": ["d1"]}',
            "qid",
            "duplicate id 'q01' (first at line 1)",
        ),
    ],
    ids=[
        "positives missing",
        "positives null",
        "positives empty",
        "positives not a list",
        "positive empty id",
        "positive not an id",
        "positive repeated",
        "query missing",
        "query empty",
        "qid blank",
        "qid missing",
        "qid duplicate",
    ],
)
@pytest.mark.parametrize("loader", [load_queries, load_qrels], ids=["queries", "qrels"])
def test_labels_reject_bad_row(
    tmp_path: Path, loader: object, row: str, field: str, problem: str
) -> None:
    path = write(tmp_path, "labels.jsonl", LABELS + "\n" + row + "\n")
    with pytest.raises(InputError) as exc:
        loader(path)  # type: ignore[operator]
    assert problem in check_message(exc, path, 4, field)


def test_qrels_from_beir_queries_file_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "queries.jsonl", '{"_id": "q1", "text": "x"}\n')
    with pytest.raises(InputError) as exc:
        load_qrels(path)
    check_message(exc, path, 1, "qid")


# --- Parquet queries -----------------------------------------------------------------------


def write_parquet(tmp_path: Path, columns: dict[str, pa.Array | list[object]]) -> Path:
    path = tmp_path / "queries.parquet"
    pq.write_table(pa.table(columns), path)
    return path


def test_parquet_queries_round_trip(tmp_path: Path) -> None:
    path = write_parquet(tmp_path, {"qid": ["q1", "q2"], "query": ["a", "b"], "extra": [1, 2]})
    assert load_queries(path) == [Query("q1", "a"), Query("q2", "b")]


def test_parquet_integer_qids_become_strings(tmp_path: Path) -> None:
    path = write_parquet(tmp_path, {"qid": [1, 2], "query": ["a", "b"]})
    assert load_queries(path) == [Query("1", "a"), Query("2", "b")]


@pytest.mark.parametrize("missing", ["qid", "query"])
def test_parquet_missing_column(tmp_path: Path, missing: str) -> None:
    columns: dict[str, pa.Array | list[object]] = {"qid": ["q1"], "query": ["a"]}
    del columns[missing]
    path = write_parquet(tmp_path, columns)
    with pytest.raises(InputError) as exc:
        load_queries(path)
    assert "column missing" in check_message(exc, path, None, missing)


@pytest.mark.parametrize(
    ("qids", "queries", "row", "field", "problem"),
    [
        (["q1", None, "q3"], ["a", "b", "c"], 2, "qid", "null"),
        (["q1", "q2", "q3"], ["a", "b", None], 3, "query", "null"),
        (["q1", "", "q3"], ["a", "b", "c"], 2, "qid", "empty"),
        (["q1", "q2", "q3"], ["a", " ", "c"], 2, "query", "empty"),
        (["q1", "q2", "q1"], ["a", "b", "c"], 3, "qid", "duplicate id 'q1' (first at line 1)"),
    ],
    ids=["null qid", "null query", "empty qid", "blank query", "duplicate qid"],
)
def test_parquet_bad_value_names_the_row(
    tmp_path: Path,
    qids: list[str | None],
    queries: list[str | None],
    row: int,
    field: str,
    problem: str,
) -> None:
    path = write_parquet(tmp_path, {"qid": qids, "query": queries})
    with pytest.raises(InputError) as exc:
        load_queries(path)
    assert problem in check_message(exc, path, row, field)


def test_parquet_wrong_column_type(tmp_path: Path) -> None:
    path = write_parquet(tmp_path, {"qid": ["q1"], "query": [1.5]})
    with pytest.raises(InputError) as exc:
        load_queries(path)
    assert "expected a string column" in check_message(exc, path, None, "query")


def test_parquet_no_rows(tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path, {"qid": pa.array([], pa.string()), "query": pa.array([], pa.string())}
    )
    with pytest.raises(InputError) as exc:
        load_queries(path)
    assert "empty" in check_message(exc, path, None, None)


def test_parquet_not_parquet(tmp_path: Path) -> None:
    path = write(tmp_path, "queries.parquet", '{"qid": "q1", "query": "x"}\n')
    with pytest.raises(InputError) as exc:
        load_queries(path)
    assert "not a readable Parquet file" in check_message(exc, path, None, None)


# --- BEIR qrels TSV ------------------------------------------------------------------------


def test_qrels_tsv_round_trip(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "qrels/test.tsv",
        "\ufeff" + HEADER.replace("\n", "\r\n") + "1\td1\t1\r\n1\td2\t0\n\n2\td1\t-1\n3\t9\t4\n",
    )
    assert load_qrels(path) == {"1": {"d1": 1, "d2": 0}, "2": {"d1": -1}, "3": {"9": 4}}


@pytest.mark.parametrize(
    "header",
    ["query-id\tcorpus-id\n", "qid\tdocid\tscore\n", "query-id corpus-id score\n", "1\td1\t1\n"],
    ids=["two columns", "wrong names", "spaces", "no header"],
)
def test_qrels_bad_header(tmp_path: Path, header: str) -> None:
    path = write(tmp_path, "test.tsv", header + "1\td1\t1\n")
    with pytest.raises(InputError) as exc:
        load_qrels(path)
    check_message(exc, path, 1, "header")


@pytest.mark.parametrize(
    ("line", "field", "problem"),
    [
        ("1\td2", "columns", "expected 3 tab-separated columns, got 2"),
        ("1\td2\t1\textra", "columns", "got 4"),
        ("1 d2 1", "columns", "got 1"),
        ("1\td2\tyes", "score", "expected an integer, got 'yes'"),
        ("1\td2\t1.0", "score", "expected an integer"),
        ("1\td2\t", "score", "expected an integer"),
        ("\td2\t1", "query-id", "empty"),
        ("1\t \t1", "corpus-id", "empty"),
        ("1\td1\t0", "corpus-id", "duplicate pair ('1', 'd1') (first at line 2)"),
    ],
    ids=[
        "too few columns",
        "too many columns",
        "space separated",
        "word score",
        "float score",
        "missing score",
        "empty query id",
        "empty doc id",
        "duplicate pair",
    ],
)
def test_qrels_bad_line(tmp_path: Path, line: str, field: str, problem: str) -> None:
    path = write(tmp_path, "test.tsv", HEADER + "1\td1\t1\n\n" + line + "\n")
    with pytest.raises(InputError) as exc:
        load_qrels(path)
    assert problem in check_message(exc, path, 4, field)


def test_qrels_header_only(tmp_path: Path) -> None:
    path = write(tmp_path, "test.tsv", HEADER + "\n")
    with pytest.raises(InputError) as exc:
        load_qrels(path)
    assert "no judged pairs" in check_message(exc, path, None, None)


def test_qrels_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "test.tsv", "")
    with pytest.raises(InputError) as exc:
        load_qrels(path)
    assert "file is empty" in check_message(exc, path, None, None)


def test_qrels_non_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "test.tsv", HEADER.encode() + b"1\td1\t1\n2\td\xff\t1\n")
    with pytest.raises(InputError) as exc:
        load_qrels(path)
    assert "not valid UTF-8" in check_message(exc, path, 3, None)


def test_qrels_unsupported_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "qrels.txt", "1 0 d1 1\n")
    with pytest.raises(InputError) as exc:
        load_qrels(path)
    assert "unsupported file type '.txt'" in check_message(exc, path, None, None)


# --- labels against corpus ------------------------------------------------------------------

QRELS = {"q1": {"d1": 1, "gone1": 1}, "q2": {"gone2": 0, "gone1": 2, "d2": 1}}


def test_labels_against_corpus_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    source = tmp_path / "labels.jsonl"
    with caplog.at_level(logging.WARNING, logger="tasks.inputs.labels"):
        count = check_labels_against_corpus(QRELS, {"d1", "d2"}, source, "warn")
    assert count == 3
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert str(source) in record.getMessage()
    assert "3 label row(s)" in record.getMessage()
    assert "'gone1', 'gone2'" in record.getMessage()


def test_labels_against_corpus_fail(tmp_path: Path) -> None:
    source = tmp_path / "labels.jsonl"
    with pytest.raises(InputError) as exc:
        check_labels_against_corpus(QRELS, {"d1", "d2"}, source, "fail")
    message = check_message(exc, source, None, None)
    assert "3 label row(s) name documents not in the corpus" in message
    assert "2 distinct, e.g. 'gone1', 'gone2'" in message


def test_labels_against_corpus_examples_are_capped(tmp_path: Path) -> None:
    qrels = {"q1": {f"x{i:02d}": 1 for i in range(20)}}
    with pytest.raises(InputError) as exc:
        check_labels_against_corpus(qrels, set(), tmp_path / "l.jsonl", "fail")
    assert "'x00', 'x01', 'x02', 'x03', 'x04', ...)" in str(exc.value)


def test_labels_against_corpus_all_present(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert (
            check_labels_against_corpus(QRELS, {"d1", "d2", "gone1", "gone2"}, tmp_path, "fail")
            == 0
        )
    assert caplog.records == []


def test_labels_against_corpus_bad_mode(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="on_missing"):
        check_labels_against_corpus(QRELS, set(), tmp_path, "ignore")  # type: ignore[arg-type]


# --- dataset_hash ---------------------------------------------------------------------------


def test_dataset_hash(tmp_path: Path) -> None:
    data = b"x" * (3 << 20) + b"tail"  # more than one read chunk
    path = write(tmp_path, "corpus.jsonl", data)
    assert dataset_hash(path) == hashlib.sha256(data).hexdigest()


# --- real collections ----------------------------------------------------------------------


def dataset_dir(name: str) -> Path:
    path = DATASETS / name
    if not (path / "corpus.jsonl").is_file():
        pytest.skip(f"real dataset {name!r} not found at {path} (../shared/datasets is absent)")
    return path


@pytest.mark.slow
def test_real_scifact() -> None:
    root = dataset_dir("scifact")
    docs = load_corpus(root / "corpus.jsonl")
    queries = load_queries(root / "queries.jsonl")
    qrels = load_qrels(root / "qrels" / "test.tsv")
    assert len(docs) == 5183
    assert len(queries) == 1109
    assert len(qrels) == 300
    assert sum(len(judged) for judged in qrels.values()) == 339
    assert set(qrels) <= {q.qid for q in queries}
    qrels_path = root / "qrels" / "test.tsv"
    assert check_labels_against_corpus(qrels, {d.doc_id for d in docs}, qrels_path, "fail") == 0
    assert dataset_hash(root / "corpus.jsonl") == (
        "dec31c8182f3d744c7d2c09423756fd1d17cbef75808db13ba01cc0aab4d1ac6"
    )


@pytest.mark.slow
def test_real_cranfield_keeps_empty_documents(caplog: pytest.LogCaptureFixture) -> None:
    root = dataset_dir("cranfield")
    with caplog.at_level(logging.WARNING, logger="tasks.inputs.corpus"):
        docs = load_corpus(root / "corpus.jsonl")
    assert len(docs) == 1400
    by_id = {d.doc_id: d for d in docs}
    # Both have empty title and body; 995 is judged relevant for query 125, so it must stay.
    assert by_id["471"].full_text == by_id["995"].full_text == ""
    assert "2 document(s) with empty title and text" in caplog.text
    queries = load_queries(root / "queries.jsonl")
    qrels = load_qrels(root / "qrels" / "test.tsv")
    assert len(queries) == 225
    assert len(qrels) == 225
    assert sum(len(judged) for judged in qrels.values()) == 1837
    assert sum(s > 0 for judged in qrels.values() for s in judged.values()) == 1612
    assert qrels["125"]["995"] == 2
    qrels_path = root / "qrels" / "test.tsv"
    assert check_labels_against_corpus(qrels, set(by_id), qrels_path, "fail") == 0
