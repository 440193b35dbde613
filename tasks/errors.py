"""The one split that decides how an error is shown: a user's mistake or a bug.

A `UserError` (bad input, settings, a refused resume, a store or key that is not ready) is
reported in one line naming file, line, field and the fix, with no traceback, by the CLI and in
a flow run's state message. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import logging


class UserError(Exception):
    """Something the user can fix; the message is one line and says how."""


class InputError(UserError, ValueError):
    """Bad input file content. The message is `path:line: field 'x': what is wrong`."""


class SettingsError(UserError, ValueError):
    """A profile, an override or a combination of settings that cannot work."""


class NotReadyError(UserError, RuntimeError):
    """A store, index, model or key the run needs is missing or refused; the message says
    which command or setting fixes it."""


def one_line(exc: BaseException) -> str:
    """The error's message folded onto one line."""
    return " ".join(str(exc).split())


def _user_error_in(exc_info: object) -> bool:
    return isinstance(exc_info, tuple) and len(exc_info) == 3 and isinstance(exc_info[1], UserError)


def quiet_user_errors() -> None:
    """Log a UserError without its traceback, wherever it is logged (Prefect's engine logs a
    failing task or flow with exc_info=True, to the console and to the flow run's log).

    A record factory, not a handler filter: it also covers the handlers Prefect adds later.
    Idempotent.
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_rerankflow_quiet", False):
        return

    def make_record(*args: object, **kwargs: object) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if _user_error_in(record.exc_info):
            record.exc_info = None
            record.exc_text = None
        return record

    make_record._rerankflow_quiet = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)
