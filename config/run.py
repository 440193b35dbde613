"""Where outputs go and how big a run is: the runs root (local or fsspec URL), the FAQ table.

Storage options are checked for credentials here, because settings end up in every manifest.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, PlainSerializer, PlainValidator, field_validator, model_validator
from upath import UPath

from config.base import Frozen
from tasks.runs.storage import CLAIMABLE, is_local, is_url, location


def _has_userinfo(value: Any) -> bool:
    return isinstance(value, str) and is_url(value) and "@" in urlsplit(value).netloc


def _location(value: Any) -> UPath:
    if _has_userinfo(value):
        raise ValueError(
            "credentials in the URL would be written to every manifest; give them to the "
            "storage backend through the environment or its own configuration"
        )
    if not isinstance(value, str | os.PathLike | UPath):
        raise ValueError(f"expected a path or URL, got {type(value).__name__}")
    return location(value)


# A local directory or an fsspec URL; written to manifests as the string it was given.
Location = Annotated[UPath, PlainValidator(_location), PlainSerializer(str, return_type=str)]

# Credentials in storage options would land in every manifest: they come from the environment
# or the backend's own configuration (AWS_ACCESS_KEY_ID, ~/.aws, a workload identity) instead.
_SECRET_OPTION = re.compile(
    r"(^|[_-])(key|secret|token|password|passphrase|credentials?|sas|connection_string|auth"
    r"|authorization|headers|private_key(_id)?|access_key(_id)?)$"
)
# gcsfs `token` values that name a way to find credentials, not a credential.
_TOKEN_MODES = {"anon", "google_default", "cache", "cloud", "browser"}


def _secret_options(options: Any, where: str = "run.storage_options") -> list[str]:
    """Where in the options a credential (by name, or as a URL's user:password) would sit."""
    found = []
    if isinstance(options, dict):
        for name, value in options.items():
            here, lowered = f"{where}.{name}", str(name).lower()
            if _SECRET_OPTION.search(lowered) and not (
                lowered == "token" and value in _TOKEN_MODES
            ):
                found.append(here)
            else:
                found += _secret_options(value, here)
    elif isinstance(options, list | tuple):
        for i, value in enumerate(options):
            found += _secret_options(value, f"{where}[{i}]")
    elif _has_userinfo(options):
        found.append(where)
    return found


class RunSettings(Frozen):
    # Where runs are written: a local directory (shared by the workers at one path), or an
    # fsspec URL such as s3://bucket/runs, the hand-off between the cpu and gpu pools.
    runs_root: Location = location("data/runs")
    # fsspec options for a URL runs root (endpoint_url, ...); never credentials.
    storage_options: dict[str, Any] = {}
    fetch_k: int = Field(50, ge=1)
    top_k: int = Field(10, ge=1)
    query_batch_size: int = Field(32, ge=1)
    ks: tuple[int, ...] = (1, 3, 5, 10, 20)
    # Deployment that runs the rerank stage (e.g. "rerank-gpu/rerank-gpu" on the gpu pool);
    # unset, or without a Prefect server: every stage runs in this process.
    rerank_deployment: str | None = None
    # Scaling out (README "Scaling out"): how many flow runs of rerank_deployment share the
    # rerank stage, each taking batches as it goes (tasks.runs.claims); 1: one flow run.
    rerank_workers: int = Field(1, ge=1)
    # Deployment of the retrieval stage on the cpu pool (e.g. "retrieve-cpu/retrieve-cpu") and
    # how many flow runs share it; unset, 1 or no server: retrieval runs in the calling flow.
    retrieve_deployment: str | None = None
    retrieve_workers: int = Field(1, ge=1)
    # Seconds a handed-off stage waits for a worker to pick up one of its flow runs before it
    # fails naming the pool (a pool without a live worker would wait forever).
    shard_start_timeout_s: float = Field(600.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _root_with_its_options(cls, data: Any) -> Any:
        """The runs root carries the storage options; a UPath given with options of its own
        puts them in `storage_options`, where the manifest records them."""
        if not isinstance(data, dict):
            return data
        root, options = data.get("runs_root"), data.get("storage_options") or {}
        if isinstance(root, UPath) and not is_local(root) and not options:
            options = {k: v for k, v in root.storage_options.items() if k != "use_listings_cache"}
            data = {**data, "storage_options": options}
        if (
            options
            and isinstance(root, str | UPath)
            and is_url(str(root))
            and not _secret_options(options)
        ):
            data = {**data, "runs_root": location(str(root), options)}
        return data

    @field_validator("storage_options")
    @classmethod
    def _no_credentials(cls, value: dict[str, Any]) -> dict[str, Any]:
        secrets = _secret_options(value)
        if secrets:
            raise ValueError(
                f"{', '.join(secrets)}: credentials do not belong in settings (they would be "
                "written to every manifest); set them in the environment or the storage "
                "backend's own configuration"
            )
        return value

    @model_validator(mode="after")
    def _claims_need_an_atomic_create(self) -> RunSettings:
        shared = self.rerank_workers > 1 or self.retrieve_workers > 1
        if shared and not is_local(self.runs_root) and self.runs_root.protocol not in CLAIMABLE:
            raise ValueError(
                f"run.rerank_workers/run.retrieve_workers > 1 need a runs root where workers "
                f"can claim batches atomically (a local or shared path, or s3://); "
                f"{self.runs_root.protocol}:// is not one: use 1 worker or such a runs root"
            )
        return self

    @model_validator(mode="after")
    def _top_k_within_fetch_k(self) -> RunSettings:
        if self.top_k > self.fetch_k:
            raise ValueError(
                f"run.top_k ({self.top_k}) must not exceed run.fetch_k ({self.fetch_k})"
            )
        return self


class FaqSettings(Frozen):
    # The serving table's folder; unset: `faq` beside a local runs root. Always local: apps
    # open its DuckDB file.
    dir: Path | None = None

    @field_validator("dir", mode="before")
    @classmethod
    def _local(cls, value: Any) -> Any:
        if is_url(value):
            raise ValueError(
                f"{value} is a URL: the FAQ serving table is a local directory (apps open its "
                "DuckDB file read-only)"
            )
        return value
