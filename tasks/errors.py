"""The one split that decides how an error is shown: a user's mistake or a bug.

A `UserError` (bad input, settings, a refused resume, a store or key that is not ready) is
reported in one line naming file, line, field and the fix, with no traceback, by the CLI and in
a flow run's state message. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


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
