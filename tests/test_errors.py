"""The split between a user's mistake (one line) and a bug (its traceback)."""

from __future__ import annotations

import logging

import pytest
from typer.testing import CliRunner

import flows  # noqa: F401 - installs the quiet record factory, as any worker does
from flows import cli
from flows.cli import doctor as doctor_command
from tasks.errors import InputError, UserError


def _logged(exc: BaseException) -> logging.LogRecord:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("rerankflow.test-errors")
    logger.addHandler(handler)
    try:
        try:
            raise exc
        except BaseException:
            logger.error("failed", exc_info=True)
    finally:
        logger.removeHandler(handler)
    return records[0]


def test_a_users_mistake_is_logged_without_traceback_a_bug_with_it():
    assert _logged(InputError("labels.jsonl:3: field 'qid': empty")).exc_info is None
    assert _logged(KeyError("hash")).exc_info is not None


def test_a_bug_in_a_command_keeps_its_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("hash")

    monkeypatch.setattr(doctor_command, "resolve_settings", broken)
    result = CliRunner().invoke(cli.app, ["doctor"])
    assert result.exit_code == 1 and isinstance(result.exception, KeyError)


def test_a_users_mistake_in_a_command_is_exit_2(monkeypatch):
    def refused(*args, **kwargs):
        raise UserError("qdrant.url: refused; check the address")

    monkeypatch.setattr(doctor_command, "resolve_settings", refused)
    result = CliRunner().invoke(cli.app, ["doctor"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["error: qdrant.url: refused; check the address"]


@pytest.mark.parametrize("cls", [InputError, UserError])
def test_one_line_folds_newlines(cls):
    from tasks.errors import one_line

    assert one_line(cls("a\n  b")) == "a b"
