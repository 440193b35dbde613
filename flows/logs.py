"""Quiet by default: a run's output is its own progress and results, not its libraries' chatter.

The model and storage libraries a run loads log DEBUG and INFO lines of their own (bm25s sets
its logger to DEBUG when imported) and draw tqdm bars (transformers' "Loading weights"). Their
warnings and errors still show. Set before those libraries are imported: the CLI and every
worker import `flows` first. An environment variable set by the user wins (e.g.
HF_HUB_DISABLE_PROGRESS_BARS=0 brings the bars back).
"""

from __future__ import annotations

import logging
import os

# Loggers of libraries a run imports; below WARNING, their records are dropped.
LIBRARY_LOGGERS = (
    "bm25s",
    "sentence_transformers",
    "transformers",
    "huggingface_hub",
    "FlagEmbedding",
    "httpx",
    "httpcore",
    "qdrant_client",
    "urllib3",
    "filelock",
    "fsspec",
    "botocore",
)
# tqdm bars of huggingface_hub and transformers (which reads this at import).
QUIET_ENV = {"HF_HUB_DISABLE_PROGRESS_BARS": "1"}


class _WarningsAndUp(logging.Filter):
    """A filter, not only a level: a library that sets its own logger's level on import keeps
    its filters."""

    _rerankflow_quiet = True

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


def quiet_libraries() -> None:
    """Library loggers at WARNING and up, no library progress bars. Idempotent."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        if not any(getattr(f, "_rerankflow_quiet", False) for f in logger.filters):
            logger.addFilter(_WarningsAndUp())
