"""Where a model's weights come from (a local directory or a Hugging Face hub id), checked
before any work: a missing directory, or a hub id that is not cached while the hub is off."""

from __future__ import annotations

import os
from pathlib import Path

from tasks.errors import NotReadyError


def looks_local(model: str) -> bool:
    """A path, not a hub id ("org/name"): absolute, relative, home, or more than one slash."""
    return model.startswith(("/", "./", "../", "~")) or model.count("/") > 1 or "\\" in model


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on")


def local_dir(model: str) -> Path | None:
    """The directory the weights load from: the model's own, or its hub cache snapshot."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    if looks_local(model):
        return None
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(model, "config.json")
    return Path(found).parent if isinstance(found, str) else None


def check_model_location(setting: str, model: str, example: str) -> None:
    """The model can load: a local directory that exists, or a hub id (cached when the hub is
    off). `setting` names the field in the message, `example` a hub id to give instead."""
    path = Path(model).expanduser()
    if path.exists() or looks_local(model):
        if not path.is_dir():
            raise NotReadyError(
                f"{setting} {model}: no such model directory; give a local "
                f"directory with the weights, or a hub id such as {example}"
            )
        return
    if not hub_offline():
        return  # the hub will be asked when the backend loads
    if local_dir(model) is None:
        raise NotReadyError(
            f"{setting} {model}: not in the local Hugging Face cache and "
            "HF_HUB_OFFLINE=1 (no downloads); download it where there is a network "
            f"(huggingface-cli download {model}), give a local directory, or set "
            "HF_HUB_OFFLINE=0"
        )
