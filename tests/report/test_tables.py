"""The one table formatter: alignment, the rule under the header, Markdown, number formats."""

from __future__ import annotations

import pytest

from tasks.report.tables import fmt_amount, fmt_number, markdown_table, text_table


def test_text_table_aligns_and_rules() -> None:
    lines = text_table(("name", "value"), [("a", "1.5"), ("longer", "-")])
    assert lines == [
        "name    value",
        "------  -----",
        "a         1.5",
        "longer      -",
    ]
    # All right-aligned, no rule (the costs table); no line ends in spaces.
    assert text_table(("x", "yy"), [("10", "1")], align="rr", rule=False) == [" x  yy", "10   1"]
    assert text_table(("a", "b"), [("1", "")], align="ll") == ["a  b", "-  -", "1"]


def test_markdown_table() -> None:
    assert markdown_table(("stage", "metric", "A"), [("reranked", "recall@5", "0.5")]) == [
        "| stage | metric | A |",
        "|---|---:|---:|",
        "| reranked | recall@5 | 0.5 |",
    ]


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="align"):
        text_table(("a", "b"), [], align="l")
    with pytest.raises(ValueError, match="cells"):
        text_table(("a", "b"), [("1",)])


def test_number_formats() -> None:
    assert [fmt_number(0.5), fmt_number(None), fmt_number(0.0, signed=True)] == [
        "0.5000",
        "-",
        "+0.0000",
    ]
    assert fmt_number(-0.04166, signed=True) == "-0.0417"
    assert [fmt_amount(v) for v in (123456.789, 0.00001234, 0.0, None, 7, "cohere")] == [
        "1.235e+05",
        "1.23e-05",
        "0",
        "-",
        "7",
        "cohere",
    ]
