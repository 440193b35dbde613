"""Where run files live: a local directory, or any fsspec URL (s3://bucket/runs, gs://, az://).

Paths are universal_pathlib `UPath`s: a local path is a `pathlib.Path` (PosixUPath), a URL an
fsspec-backed path with the same API (`/`, `glob`, `exists`, `read_bytes`). Only writing differs.
A local file is written beside its destination and renamed over it; an object store has no
rename, but an upload is atomic by itself (an object appears whole or not at all, whether it
went up in one PUT or as a multipart upload), so an object is uploaded from memory in one call.
Either way a reader sees the old file or the new one. Other fsspec filesystems (sftp, hdfs,
webdav, ...) have neither guarantee and are refused: mount them and give the path instead.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from tasks.errors import InputError, NotReadyError, SettingsError

PathLike = str | os.PathLike[str] | UPath

# Object stores (uploads are atomic), with the fsspec backend each needs, for the install hint.
_OBJECT_STORES = {
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "az": "adlfs",
    "abfs": "adlfs",
    "abfss": "adlfs",
}
# Object stores whose conditional put (create only if absent) is verified: claims work there.
CLAIMABLE = ("s3", "s3a")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(ref: PathLike) -> bool:
    return isinstance(ref, str) and bool(_URL.match(ref))


def location(ref: PathLike, storage_options: Mapping[str, Any] | None = None) -> UPath:
    """A path or URL as a UPath; a UPath keeps its own storage options unless new ones are given.

    `file://` URLs become plain local paths (renamed into place like any local file).
    """
    if isinstance(ref, UPath):
        settled = is_local(ref) or "use_listings_cache" in ref.storage_options
        if settled and not storage_options:
            return ref
        return location(str(ref), storage_options or ref.storage_options)
    if not is_url(ref):
        return UPath(os.fspath(ref))
    scheme = str(ref).split("://", 1)[0].lower()
    if scheme in ("file", "local"):
        return UPath(UPath(ref).path)
    if scheme not in _OBJECT_STORES:
        raise SettingsError(
            f"{ref}: {scheme}:// is neither a local filesystem (files are renamed into place) "
            f"nor an object store ({', '.join(sorted(_OBJECT_STORES))}://, where an upload is "
            "atomic): mount it and give the path"
        )
    # Several processes write one run (the stages run on different workers): a cached
    # directory listing would hide their files, so listings are always asked for afresh.
    options = {"use_listings_cache": False, **(storage_options or {})}
    try:
        path = UPath(ref, **options)
        path.fs  # noqa: B018 - instantiates the backend now, so a missing one fails here
    except ImportError as exc:
        backend = _OBJECT_STORES[scheme]
        raise NotReadyError(f"{ref}: needs {backend}: pip install {backend} ({exc})") from None
    return path


def is_local(path: UPath) -> bool:
    return isinstance(path, Path)


def absolute(path: UPath) -> UPath:
    """What another process can open: an absolute local path, or the URL itself."""
    return path.resolve() if is_local(path) else path


def uri(path: UPath) -> str:
    """A link to the file: file:// for local paths, the URL otherwise."""
    return path.resolve().as_uri() if is_local(path) else str(path)


# --------------------------------------------------------------------------- writing


def _temporary(path: Path, kind: str) -> Path:
    # pid, thread and a random token in the name: concurrent writers (Prefect task threads,
    # other processes) never share a temporary.
    token = f"{os.getpid()}.{threading.get_native_id()}.{secrets.token_hex(4)}"
    return path.with_name(f".{path.name}.{token}.{kind}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _move_into_place(tmp: Path, path: Path) -> None:
    """A file replaces the old one in one rename. A directory cannot be renamed over a full
    one: the old one is moved aside first (a reader in between finds none, never half of one),
    and a concurrent writer's directory that lands first is moved aside in turn."""
    if not tmp.is_dir():
        os.replace(tmp, path)
        return
    while True:
        try:
            os.rename(tmp, path)
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                raise
        aside = _temporary(path, "old")
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            continue  # another writer moved it first
        _remove(aside)


@contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """A unique temporary local path for a writer that needs one (pyarrow, bm25s' save, DuckDB):
    put `path` there, and when the block succeeds it is moved into place; when it fails, it is
    removed and `path` is untouched. Readers see the old `path` or the new one, never half.

    Locally the temporary sits beside `path` and is renamed over it (a file or a directory).
    For an object store it is a local file uploaded in one call when the block succeeds (an
    upload is atomic by itself); a directory cannot be uploaded so, and is refused.
    """
    target = location(path)
    if is_local(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temporary(target, "tmp")
    else:
        tmp = Path(tempfile.mkdtemp(prefix="rerankflow-")) / target.name
    try:
        yield tmp
        if is_local(target):
            _move_into_place(tmp, target)
        elif tmp.is_dir():
            raise ValueError(f"{target}: a directory cannot be uploaded atomically")
        else:
            write_bytes(target, tmp.read_bytes())
    finally:
        _remove(tmp if is_local(target) else tmp.parent)


def write_bytes(path: PathLike, data: bytes) -> None:
    """Atomically: a crash leaves the old file or none, never half of one."""
    path = location(path)
    if not is_local(path):
        path.fs.pipe_file(path.path, data)  # one upload: the object appears whole or not at all
        return
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def create_exclusive(path: PathLike, data: bytes) -> bool:
    """Write `path` only if it does not exist yet; False when it does. Of several processes
    racing to create one file exactly one wins, and a reader never sees half of it.

    Locally the whole file is written beside `path` and hard-linked into place: the link
    fails when `path` exists (atomic on POSIX filesystems and NFS, unlike a check-then-write).
    On S3 it is a conditional put (If-None-Match: *), which the store itself decides.
    """
    path = location(path)
    if not is_local(path):
        if path.protocol not in CLAIMABLE:
            # Other backends may ignore the condition and overwrite: no silent double claims.
            raise SettingsError(
                f"{path}: claiming work needs an atomic create-if-absent; verified on local "
                "paths and s3:// only: use one of those for run.runs_root"
            )
        try:
            path.fs.pipe_file(path.path, data, mode="create")
        except FileExistsError:
            return False
        return True
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path, "tmp")
    try:
        tmp.write_bytes(data)
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def write_text(path: PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(obj: Any, path: PathLike) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str))


def write_parquet(table: pa.Table, path: PathLike) -> None:
    # Written straight to the temporary file: no serialized copy of the table in memory.
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


# --------------------------------------------------------------------------- reading


def read_bytes(path: PathLike) -> bytes:
    """The whole file; an object in one GET, so its bytes are all of one version."""
    path = location(path)
    # (Opening an object as a file pins its ETag, and a version swapped in between two ranged
    # reads makes that read fail; one whole-object GET is consistent by itself.)
    return path.read_bytes() if is_local(path) else path.fs.cat_file(path.path)


def read_text(path: PathLike) -> str:
    return read_bytes(path).decode("utf-8")


def read_json(path: PathLike) -> Any:
    """A JSON file; a damaged one is an InputError naming the file and line."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); the file is damaged or "
            "truncated: restore it, or start a new run"
        ) from None


def read_parquet(path: PathLike, columns: list[str] | None = None) -> pa.Table:
    path = location(path)
    if is_local(path):
        return pq.read_table(os.fspath(path), columns=columns)
    return pq.read_table(pa.BufferReader(read_bytes(path)), columns=columns)


def sql_path(path: UPath) -> str:
    """The path as DuckDB's read_parquet takes it (see `connect_duckdb` for URLs)."""
    return os.fspath(path) if is_local(path) else str(path)


def connect_duckdb(*paths: UPath) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that can read the given locations.

    DuckDB reads local files itself; for URLs it is handed the path's fsspec filesystem, so no
    DuckDB extension (httpfs, which would be downloaded) and no second set of credentials.
    """
    con = duckdb.connect()
    seen: dict[str, Any] = {}
    for path in paths:
        if is_local(path):
            continue
        # DuckDB routes a URL to the filesystem registered for its scheme: one per scheme.
        if path.protocol in seen:
            if seen[path.protocol] is not path.fs:
                con.close()
                raise SettingsError(
                    f"{path}: another {path.protocol}:// location with other storage options "
                    "is read in the same query; copy the runs to one store"
                )
            continue
        seen[path.protocol] = path.fs
        con.register_filesystem(path.fs)
    if seen:
        # One thread: with more, a worker thread closing a Python (fsspec) file handle waits for
        # the GIL while a GIL-holding call on this thread (`register` cleaning up the previous
        # query) waits for that worker: a deadlock, seen under Prefect's busy threads.
        con.execute("SET threads = 1")
    return con
