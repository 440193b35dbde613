"""rerankflow's configuration: frozen pydantic settings resolved once from a YAML profile
(config/profiles/*.yaml) plus `--set` overrides; secrets come from the environment.

The public names are gathered in `config.settings`, the path the code base imports from, and
re-exported here.
"""

from __future__ import annotations

from config import settings as _settings
from config.settings import *  # noqa: F403 (the same public names, listed once in config.settings)

__all__ = list(_settings.__all__)
