"""The options every command shares (profile, --set) and the settings they resolve to."""

from __future__ import annotations

from typing import Annotated, Any

import typer

ProfileOpt = Annotated[
    str, typer.Option("--profile", "-p", help="Profile name under config/profiles, or a YAML path.")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a setting, e.g. --set run.top_k=5 (repeatable)."),
]


def resolve_settings(profile: str, overrides: dict[str, Any]) -> Any:
    """The profile with the overrides applied (config is imported late: --help stays fast)."""
    from config.settings import load_settings

    return load_settings(profile, overrides)


def collect_overrides(sets: list[str] | None, **named: Any) -> dict[str, Any]:
    """`--set key=value` pairs, then the command's own options that were given (not None)."""
    from config.settings import parse_override

    out = dict(parse_override(s) for s in sets or [])
    out.update({k: v for k, v in named.items() if v is not None})
    return out
