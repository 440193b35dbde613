"""Profile loading: a YAML profile plus `--set` overrides, resolved once into `Settings`.

Errors say where the bad value came from (`profile.yaml:12: field 'run.top_k': ...`, or
`--set run.top_k=...: ...`), as one-line `SettingsError`s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from config.model import Settings
from tasks.errors import SettingsError

PROFILES_DIR = Path(__file__).parent / "profiles"


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise SettingsError(f"--set {dotted}: '{part}' is a setting, not a section")
    node[leaf] = value


def parse_override(text: str) -> tuple[str, Any]:
    """`reranker.backend=none` -> ("reranker.backend", "none"); values parsed as YAML scalars."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise SettingsError(f"--set {text}: expected section.key=value, e.g. --set run.top_k=5")
    try:
        return key.strip(), yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "not a YAML value"
        raise SettingsError(
            f"--set {text}: {problem}; quote a string, e.g. --set \"{key}='...'\""
        ) from None


def resolve_profile_path(profile: str | Path) -> Path:
    candidate = Path(profile)
    if candidate.suffix in (".yaml", ".yml"):
        return candidate
    named = PROFILES_DIR / f"{profile}.yaml"
    if not named.exists():
        known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.yaml")))
        raise SettingsError(f"unknown profile '{profile}' (known: {known}; or pass a .yaml path)")
    return named


def _yaml_line(text: str, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the deepest key of `loc` found in the YAML text."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if k.value == str(part)]
            if not found:
                break
            key, node = found[0]
            line = key.start_mark.line + 1
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _profile_sets(text: str, loc: Sequence[str | int]) -> bool:
    """Whether the profile itself sets the setting at `loc`."""
    node: Any = yaml.safe_load(text)
    for part in loc:
        if not isinstance(node, dict) or str(part) not in node:
            return False
        node = node[str(part)]
    return True


def _known_keys(loc: Sequence[str | int]) -> list[str]:
    """The settings a section accepts (for 'unknown setting' errors)."""
    model: Any = Settings
    for part in loc:
        field = model.model_fields.get(str(part)) if isinstance(model, type) else None
        if field is None or not (
            isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
        ):
            return []
        model = field.annotation
    return sorted(model.model_fields) if isinstance(model, type) else []


def _error_message(error: Any) -> str:
    loc = error["loc"]
    if error["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        return "unknown setting" + (f" (known here: {', '.join(known)})" if known else "")
    msg = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if error["type"] == "missing":
        return "required setting is missing"
    return " ".join(msg.split())


def load_settings(profile: str | Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Read a profile (a name under config/profiles or a YAML path) and apply dotted overrides.

    Errors name where the bad value came from: `profile.yaml:12: field 'run.top_k': ...`, or
    `--set run.top_k=...: ...` for an override.
    """
    path = resolve_profile_path(profile)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read profile: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: not UTF-8 text") from None
    try:
        tree = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise SettingsError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(tree, dict):
        raise SettingsError(f"{path}: a profile is a mapping of sections (dataset:, run:, ...)")
    tree.setdefault("profile", path.stem)
    overrides = overrides or {}
    for key, value in overrides.items():
        _set_dotted(tree, key, value)  # an explicit None (`--set dataset.labels=null`) unsets
    try:
        return Settings.model_validate(tree)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if not isinstance(p, int)]
        field = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        message = _error_message(first) + more
        # A whole section's check (run.top_k vs run.fetch_k) blames a setting its message
        # names: a --set key, else that key's profile line, else whatever was set in the section.
        section = bool(field) and bool(_known_keys(loc))
        named = re.search(rf"\b{re.escape(field)}\.(\w+)", message) if section else None
        in_profile = named and _profile_sets(text, [*loc, named.group(1)])
        by_override = [
            k
            for k in overrides
            if field
            and (
                field == k
                or field.startswith(k + ".")
                or (k.startswith(field + ".") and (k in message or not section))
            )
        ]
        if section and not by_override and not in_profile:
            by_override = [k for k in overrides if k.startswith(field + ".")]
        if by_override:
            raise SettingsError(f"--set {max(by_override, key=len)}: {message}") from None
        if named and in_profile:
            loc, field = [*loc, named.group(1)], f"{field}.{named.group(1)}"
        line = _yaml_line(text, loc)
        where = f"{path}:{line}" if line else str(path)
        if not field:
            raise SettingsError(f"{where}: {message}") from None
        raise SettingsError(f"{where}: field '{field}': {message}") from None


def merge_overrides(
    deployment: Mapping[str, Any] | None, user: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A deployment's own overrides with the user's applied after them.

    Prefect replaces a flow parameter given at run time whole, so a deployment keeps its
    defaults (the gpu hand-off) in a separate `deployment_overrides` parameter and the flow
    merges the user's `overrides` over it: a key in both takes the user's value (`null`
    unsets), and a user's key comes later, so a whole section given by the user replaces the
    deployment's dotted keys inside it.
    """
    merged = dict(deployment or {})
    for key, value in (user or {}).items():
        merged.pop(key, None)  # re-inserted last: applied after the deployment's keys
        merged[key] = value
    return merged
