"""`rerankflow doctor`: is this machine ready to run the profile? One line per check, with the fix.

Each check is a plain function returning a Check; one failing does not stop the others.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from config.settings import Settings

Status = Literal["ok", "FAIL", "skip"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        fix = f"  -> {self.fix}" if self.status == "FAIL" and self.fix else ""
        return f"{self.status:<4}  {self.name:<10} {self.detail}{fix}"


def check_qdrant(settings: Settings) -> Check:
    from tasks.retrieve import vectorstore
    from tasks.retrieve.collection import created_by_rerankflow

    q = settings.qdrant
    where = q.url or str(q.path)
    try:
        client = vectorstore.open_client(q)
        if not client.collection_exists(q.collection):
            return Check(
                "qdrant",
                "FAIL",
                f"no collection '{q.collection}' at {where}",
                "check qdrant.collection and qdrant.url/path"
                if q.existing
                else "run `rerankflow index` with this profile",
            )
        count = client.count(q.collection, exact=True).count
        ours = created_by_rerankflow(client.get_collection(q.collection).config.metadata)
    except Exception as exc:  # any client error is the finding itself
        return Check(
            "qdrant",
            "FAIL",
            f"cannot open {where}: {type(exc).__name__}: {exc}",
            "check qdrant.url / QDRANT_API_KEY, or that no other process holds the embedded path",
        )
    if not ours and not q.existing:
        return Check(
            "qdrant",
            "FAIL",
            f"collection '{q.collection}' at {where} ({count} points) was not created by "
            "rerankflow",
            "to measure it read-only set qdrant.existing: true (qdrant.vector, text_key, "
            "id_key, group_key for its layout; no dataset.corpus)",
        )
    return Check("qdrant", "ok", f"collection '{q.collection}' at {where}: {count} points")


def check_dimension(settings: Settings) -> Check:
    from qdrant_client import models

    from tasks import embed
    from tasks.retrieve import vectorstore

    q = settings.qdrant
    try:
        client = vectorstore.open_client(q)
        if not client.collection_exists(q.collection):
            return Check("dimension", "skip", "no collection to compare")
        params = client.get_collection(q.collection).config.params.vectors
        have = params.size if isinstance(params, models.VectorParams) else None
        want = embed.embedding_dim(settings.embedder)
    except Exception as exc:
        return Check("dimension", "FAIL", f"{type(exc).__name__}: {exc}", "see the qdrant check")
    if want is None:
        return Check(
            "dimension", "skip", "precomputed query vectors: checked when dataset.queries is read"
        )
    if have != want:
        return Check(
            "dimension",
            "FAIL",
            f"collection holds {have}-d vectors, embedder '{settings.embedder.model}' makes "
            f"{want}-d",
            "use another qdrant.collection, or re-index with this embedder",
        )
    return Check("dimension", "ok", f"{want}-d, embedder '{settings.embedder.model}'")


def check_prefect(settings: Settings) -> Check:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        return Check(
            "prefect",
            "ok",
            "no PREFECT_API_URL: each run starts a temporary local server (one machine only)",
        )
    import httpx

    try:
        response = httpx.get(f"{url.rstrip('/')}/health", timeout=5)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        return Check(
            "prefect",
            "FAIL",
            f"{url}: {type(exc).__name__}: {exc}",
            "start the server (`prefect server start`) or fix PREFECT_API_URL",
        )
    return Check("prefect", "ok", f"{url} healthy")


def check_runs_root(settings: Settings) -> Check:
    from tasks.runs import storage

    root = settings.run.runs_root
    try:
        if storage.is_local(root):
            root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=root, prefix=".doctor-"):
                pass
        else:
            # An object is written and deleted: the workers need both rights on the store.
            probe = root / f".doctor-{secrets.token_hex(4)}"
            storage.write_bytes(probe, b"rerankflow doctor")
            probe.unlink()
    except Exception as exc:  # any storage error (OSError, botocore, auth) is the finding
        return Check(
            "runs root",
            "FAIL",
            f"{root} is not writable: {type(exc).__name__}: {exc}",
            "set run.runs_root to a directory or URL every worker can write (credentials "
            "for a URL come from the environment, options from run.storage_options)",
        )
    return Check("runs root", "ok", f"{storage.absolute(root)} writable")


def check_reranker(settings: Settings) -> Check:
    from tasks.index.side_index import side_index_dir
    from tasks.rerank.registry import BACKENDS, get_reranker

    r = settings.reranker
    label = f"{r.backend}" + (f" '{r.model}'" if r.model else "")
    try:
        reranker = get_reranker(r, side_index_dir(settings))
        if hasattr(reranker, "score"):
            from tasks.types import Hit

            # A real forward pass on one pair: loading is not enough to know it scores.
            [scores] = reranker.score(["doctor"], [[Hit("d", "a short check document", 0.0)]])
            if len(scores) != 1:
                raise RuntimeError(f"scored {len(scores)} of 1 pair")
    except Exception as exc:
        return Check(
            "reranker", "FAIL", f"{label}: {type(exc).__name__}: {exc}", BACKENDS[r.backend].fix
        )
    if BACKENDS[r.backend].hosted:
        # A real call would be billed: the key is found, not tried.
        return Check("reranker", "ok", f"{label}: API key found (not called)")
    return Check("reranker", "ok", f"{label} loads and scores")


def check_gpu(settings: Settings) -> Check:
    import torch

    wanted = settings.reranker.device or ""
    if not torch.cuda.is_available():
        if wanted.startswith("cuda"):
            return Check(
                "gpu",
                "FAIL",
                f"reranker.device={wanted} but no CUDA device is visible",
                "check the driver (nvidia-smi), CUDA_VISIBLE_DEVICES and the torch build",
            )
        return Check("gpu", "ok", "no CUDA device visible: local rerankers run on the CPU")
    names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    extra = f" (CUDA_VISIBLE_DEVICES={visible})" if visible is not None else ""
    return Check("gpu", "ok", f"{len(names)} visible{extra}: " + ", ".join(names))


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_qdrant,
    check_dimension,
    check_prefect,
    check_runs_root,
    check_reranker,
    check_gpu,
)


def run_checks(settings: Settings) -> list[Check]:
    """Every check; an existing collection gets its own (vector, filter, payload keys,
    read-only) in place of `dimension`, and never an index line."""
    if not settings.qdrant.existing:
        return [check(settings) for check in CHECKS]
    from tasks.retrieve import existing

    out = [check_qdrant(settings)]
    if out[0].status == "ok":
        try:
            out += existing.collection_checks(settings)
        except Exception as exc:  # a client error mid-way is the finding
            out.append(Check("collection", "FAIL", f"{type(exc).__name__}: {exc}", ""))
    return out + [
        check(settings) for check in CHECKS if check not in (check_qdrant, check_dimension)
    ]
