"""The one place the CLI turns a user's mistake into one line on stderr and exit 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import NoReturn

import typer


def user_errors() -> tuple[type[BaseException], ...]:
    """What a command reports in one line (exit 2) rather than a traceback: a user's mistake
    (UserError), a path that is not there or not readable, a store that cannot be reached.
    Anything else is a bug and keeps its traceback."""
    import duckdb

    from tasks.errors import UserError

    errors: list[type[BaseException]] = [
        UserError,
        FileNotFoundError,
        PermissionError,
        IsADirectoryError,
        NotADirectoryError,
        duckdb.IOException,
    ]
    with suppress(ImportError):
        from botocore.exceptions import BotoCoreError  # s3fs's client, when installed

        errors.append(BotoCoreError)
    return tuple(errors)


@contextmanager
def reported() -> Iterator[None]:
    """Run a command's body; a user's mistake becomes one line on stderr and exit 2."""
    try:
        yield
    except user_errors() as exc:
        from tasks.errors import one_line

        typer.secho(f"error: {one_line(exc)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def stop(message: str, code: int) -> NoReturn:
    """End a command that ran but did not fully succeed: a yellow line on stderr, `code`."""
    typer.secho(message, fg=typer.colors.YELLOW, err=True)
    raise typer.Exit(code)
