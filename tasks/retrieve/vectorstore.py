"""The connection to the vector store: one Qdrant client per path or URL per process.

Embedded Qdrant locks its folder, so every caller in a process (indexing, retrieval, checks)
shares the one client opened here; `close_clients` releases the lock for another process.
"""

from __future__ import annotations

import atexit
import threading

from qdrant_client import QdrantClient

from config.settings import QdrantSettings
from tasks.errors import NotReadyError

_CLIENTS: dict[str, QdrantClient] = {}
_LOCK = threading.Lock()


def open_client(settings: QdrantSettings) -> QdrantClient:
    """Embedded Qdrant admits one client per path, so every caller in a process shares one."""
    key = settings.url or str(settings.path.resolve())
    with _LOCK:
        if key not in _CLIENTS:
            if settings.url:
                _CLIENTS[key] = QdrantClient(url=settings.url, api_key=settings.api_key)
            else:
                settings.path.mkdir(parents=True, exist_ok=True)
                try:
                    _CLIENTS[key] = QdrantClient(path=key)
                except RuntimeError as exc:
                    if "already accessed" not in str(exc):
                        raise
                    # Embedded Qdrant locks its folder: a second run at once is refused.
                    raise NotReadyError(
                        f"qdrant.path {settings.path} is in use by another process (embedded "
                        "Qdrant admits one at a time): wait for it, or use a Qdrant server "
                        "(qdrant.url) for concurrent runs"
                    ) from None
        return _CLIENTS[key]


def close_clients() -> None:
    """Release embedded stores (and their locks) so another process may open them."""
    with _LOCK:
        for client in _CLIENTS.values():
            client.close()
        _CLIENTS.clear()


# Close before interpreter teardown, when qdrant's own __del__ can no longer import.
atexit.register(close_clients)
