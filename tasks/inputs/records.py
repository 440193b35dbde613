"""Reading input files line by line, and the one-line errors that name the file, line and field.

Every loader rejects bad input with a one-line `InputError`:
`{path}:{line}: field '{field}': {problem}`, or `{path}: {problem}` for whole-file problems.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tasks.errors import InputError

try:
    import orjson

    _loads: Callable[[str], Any] = orjson.loads
except ImportError:  # pragma: no cover - orjson is a dependency, json is only a fallback
    _loads = json.loads

# How many offending ids a warning or error lists before "...".
MAX_EXAMPLES = 5

# id -> line it first appeared on, so a duplicate can name both lines.
Seen = dict[str, int]


def short(value: object, limit: int = 60) -> str:
    """repr() of a value, cut to keep error messages on one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def field_error(path: Path, lineno: int, field: str, problem: str) -> InputError:
    return InputError(f"{path}:{lineno}: field '{field}': {problem}")


def type_name(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")


def read_text(path: Path) -> str:
    """Whole file as text; names the line of the first byte that is not UTF-8."""
    check_file(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Decoding the whole file at once is fast; the line is recovered from the byte offset.
        lineno = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise InputError(
            f"{path}:{lineno}: not valid UTF-8 (byte 0x{bad} at column {column})"
        ) from None
    return text.removeprefix("\ufeff")


def lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines with 1-based line numbers; fails on a file with no non-blank lines."""
    text = read_text(path)
    found = False
    # split("\n"), not splitlines(): U+2028 and friends are legal inside JSON strings.
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line.strip():
            continue
        found = True
        yield lineno, line
    if not found:
        raise InputError(f"{path}: file is empty (no records)")


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Parsed JSON objects with their line numbers."""
    for lineno, line in lines(path):
        try:
            row = _loads(line)
        except ValueError as exc:
            msg = getattr(exc, "msg", str(exc))
            colno = getattr(exc, "colno", None)
            where = f" at column {colno}" if colno else ""
            raise InputError(f"{path}:{lineno}: malformed JSON: {msg}{where}") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{lineno}: expected a JSON object, got {type_name(row)}")
        yield lineno, row


def first_row_keys(path: Path) -> tuple[int, set[str]]:
    """The first JSON object's line and keys, which tell a JSONL file's format."""
    for lineno, row in iter_jsonl(path):
        return lineno, set(row)
    raise AssertionError("unreachable: iter_jsonl raises on an empty file")


def id_value(path: Path, lineno: int, field: str, value: object) -> str:
    """A non-empty id; JSON integers are accepted and converted (BEIR files have them)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise field_error(path, lineno, field, f"expected a string id, got {type_name(value)}")
    text = str(value)
    if not text.strip():
        raise field_error(path, lineno, field, "empty")
    return text


def required_id(path: Path, lineno: int, row: dict[str, Any], field: str) -> str:
    if field not in row:
        raise field_error(path, lineno, field, "missing")
    return id_value(path, lineno, field, row[field])


def string_field(
    path: Path, lineno: int, row: dict[str, Any], field: str, *, required: bool
) -> str:
    """A string field; `required` means present and not blank, otherwise absent/null is ''."""
    if field not in row or row[field] is None:
        if required:
            raise field_error(path, lineno, field, "missing")
        return ""
    value = row[field]
    if not isinstance(value, str):
        raise field_error(path, lineno, field, f"expected a string, got {type_name(value)}")
    if required and not value.strip():
        raise field_error(path, lineno, field, "empty")
    return value


def check_unique(
    path: Path, lineno: int, field: str, key: str, seen: Seen, what: str = "id"
) -> None:
    first = seen.get(key)
    if first is not None:
        raise field_error(
            path, lineno, field, f"duplicate {what} {short(key)} (first at line {first})"
        )
    seen[key] = lineno
