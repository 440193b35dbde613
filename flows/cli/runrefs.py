"""How a command names a run it reads (id, directory or URL) and the labels it measures with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from upath import UPath


def run_dir(settings: Any, ref: str) -> UPath:
    """A run given by id under the runs root, or by its directory or URL."""
    from tasks.runs import layout, storage
    from tasks.runs.manifest import has_manifest

    if storage.is_url(ref):
        return storage.location(ref, settings.run.storage_options)
    path = storage.location(ref)
    if has_manifest(path):
        return path
    return layout.find_run(settings.run.runs_root, ref)


def labels_path(settings: Any, labels: Path | None, run: UPath) -> Path:
    """--labels, else the labels the run itself was measured with, else the profile's."""
    from tasks.errors import SettingsError
    from tasks.runs.manifest import read_manifest

    if labels is not None:
        return labels
    ran_with = read_manifest(run).section("dataset").get("labels")
    path = ran_with or settings.dataset.labels
    if path is None:
        raise SettingsError(f"{run}: no labels in its manifest or the profile; give --labels")
    return Path(path)


def load_labels(settings: Any, labels: Path | None, run: UPath) -> Any:
    """The qrels `labels_path` names."""
    from tasks.inputs.loaders import load_qrels

    return load_qrels(labels_path(settings, labels, run))
