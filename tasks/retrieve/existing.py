"""A Qdrant collection rerankflow did not create (`qdrant.existing`): checked, measured, never
written.

Every call here reads (get_collection, count, scroll). The same checks serve `rerankflow
doctor` (one line each) and the flows, which stop before any work on the first failure with a
one-line SettingsError naming the setting and what the collection actually has.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from qdrant_client import QdrantClient, models

from config.settings import Settings
from tasks.doctor import Check
from tasks.errors import NotReadyError, SettingsError
from tasks.retrieve.collection import describe_vectors, require_collection, vector_configs
from tasks.retrieve.search import MISSING, Layout, payload_value, query_filter
from tasks.retrieve.vectorstore import open_client

# Points whose payload is checked for the configured keys.
PAYLOAD_SAMPLE = 16
# Label ids per lookup request.
_LOOKUP_CHUNK = 256


def _client_or_none(settings: Settings) -> QdrantClient | None:
    q = settings.qdrant
    client = open_client(q)
    return client if client.collection_exists(q.collection) else None


def check_vector(settings: Settings) -> Check:
    """The configured vector exists, and has the embedder's dimension."""
    from tasks import embed

    q = settings.qdrant
    client = _client_or_none(settings)
    if client is None:
        return Check("vector", "skip", f"no collection '{q.collection}'")
    configs = vector_configs(client.get_collection(q.collection))
    name = q.vector or ""
    label = f"qdrant.vector={q.vector!r}" if q.vector else "the unnamed default vector"
    if name not in configs:
        named = [n for n in configs if n]
        fix = (
            f"set qdrant.vector to one of: {', '.join(named)}"
            if named
            else "unset qdrant.vector (the collection has only the unnamed vector)"
        )
        return Check(
            "vector",
            "FAIL",
            f"collection '{q.collection}' has no "
            f"{f'vector named {q.vector!r}' if q.vector else 'unnamed default vector'}"
            f" (qdrant.vector); its vectors: "
            f"{describe_vectors(configs)}",
            fix,
        )
    have = configs[name].size
    distance = configs[name].distance.value.lower()
    want = embed.embedding_dim(settings.embedder)
    if want is None:  # precomputed: checked against dataset.queries when it is read
        return Check(
            "vector", "ok", f"{label}: {have}-d {distance}, query vectors from dataset.queries"
        )
    if have != want:
        return Check(
            "vector",
            "FAIL",
            f"{label} holds {have}-d vectors, embedder '{settings.embedder.model}' makes {want}-d",
            "set embedder.backend and embedder.model to the embedder the collection was "
            "embedded with",
        )
    return Check(
        "vector", "ok", f"{label}: {have}-d {distance}, embedder '{settings.embedder.model}'"
    )


def check_filter(settings: Settings) -> Check:
    """The filter is accepted by Qdrant and matches some points."""
    q = settings.qdrant
    client = _client_or_none(settings)
    if client is None:
        return Check("filter", "skip", f"no collection '{q.collection}'")
    if not q.filter:
        return Check("filter", "ok", "none: every point is searched")
    try:
        n = client.count(q.collection, count_filter=query_filter(q), exact=True).count
    except Exception as exc:  # the server's refusal is the finding
        return Check(
            "filter",
            "FAIL",
            f"qdrant.filter refused by Qdrant: {type(exc).__name__}: {' '.join(str(exc).split())}",
            "fix qdrant.filter (keys and value types as stored in the payload)",
        )
    if n == 0:
        return Check(
            "filter",
            "FAIL",
            f"qdrant.filter matches no point of '{q.collection}'",
            "check the filter's keys and values against the payload (doctor lists its keys)",
        )
    return Check("filter", "ok", f"qdrant.filter matches {n} points")


def _lacks(payload: dict | None, key: str, text: bool) -> bool:
    value = payload_value(payload, key)
    return value is MISSING or value is None or (text and not isinstance(value, str))


def check_payload(settings: Settings) -> Check:
    """A sample of the points the run will search holds every configured payload key."""
    q = settings.qdrant
    client = _client_or_none(settings)
    if client is None:
        return Check("payload", "skip", f"no collection '{q.collection}'")
    try:
        points, _ = client.scroll(
            q.collection,
            scroll_filter=query_filter(q),
            limit=PAYLOAD_SAMPLE,
            with_payload=True,
            with_vectors=False,
        )
    except Exception as exc:
        return Check("payload", "skip", f"cannot sample ({type(exc).__name__}); see filter")
    if not points:
        return Check("payload", "skip", "no points to sample")
    layout = Layout.of(q)
    wanted = [("qdrant.text_key", layout.text_key)]
    wanted += [("qdrant.id_key", layout.id_key)] if layout.id_key else []
    wanted += [("qdrant.group_key", layout.group_key)] if layout.group_key else []
    for setting, key in wanted:
        lacking = [p for p in points if _lacks(p.payload, key, text=setting == "qdrant.text_key")]
        if lacking:
            found = sorted({k for p in points for k in (p.payload or {})})
            return Check(
                "payload",
                "FAIL",
                f"{setting}='{key}': {len(lacking)} of {len(points)} sampled points lack it "
                f"(or it is not text), e.g. point {lacking[0].id}; payload keys found: "
                f"{', '.join(found) or 'none'}",
                f"set {setting} to one of the keys found",
            )
    ids = f"id from '{layout.id_key}'" if layout.id_key else "id = the point id"
    group = f", group from '{layout.group_key}'" if layout.group_key else ""
    return Check(
        "payload",
        "ok",
        f"{len(points)} sampled points: text from '{layout.text_key}', {ids}{group}",
    )


def check_read_only(settings: Settings) -> Check:
    return Check(
        "access",
        "ok",
        f"collection '{settings.qdrant.collection}' is used read-only (qdrant.existing): "
        "rerankflow never writes to it and `rerankflow index` refuses it",
    )


def collection_checks(settings: Settings) -> list[Check]:
    """Doctor's lines for an existing collection (after its `qdrant` line)."""
    return [
        check_vector(settings),
        check_filter(settings),
        check_payload(settings),
        check_read_only(settings),
    ]


def check_existing_collection(settings: Settings) -> None:
    """Before a run on an existing collection: stop on the first problem, in one line naming
    the setting and what the collection has (SettingsError; NotReadyError if it is absent)."""
    q = settings.qdrant
    if not q.existing:
        return
    require_collection(q)
    for check in (check_vector, check_filter, check_payload):
        found = check(settings)
        if found.status == "FAIL":
            raise SettingsError(f"{found.detail}; {found.fix}")


# --------------------------------------------------------------------------- labels


def _as_point_id(value: str) -> int | str | None:
    if re.fullmatch(r"\d+", value):
        return int(value)
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None  # cannot be a point id


def _key_condition(key: str, ids: list[str]) -> models.Filter:
    """Payload `key` equal to any of the ids, stored as a string or as an integer."""
    should: list[models.Condition] = [
        models.FieldCondition(key=key, match=models.MatchAny(any=ids))
    ]
    ints = [int(i) for i in ids if re.fullmatch(r"-?\d+", i)]
    if ints:
        should.append(models.FieldCondition(key=key, match=models.MatchAny(any=ints)))
    return models.Filter(should=should)


def _values(value: object) -> Iterable[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [] if value is None or value is MISSING else [str(value)]


def label_key(settings: Settings) -> str:
    """What label ids are matched on, for messages."""
    q = settings.qdrant
    if q.group_key:
        return f"payload key '{q.group_key}' (qdrant.group_key)"
    if q.id_key:
        return f"payload key '{q.id_key}' (qdrant.id_key)"
    return "point ids (no qdrant.id_key or group_key)"


def ids_in_collection(settings: Settings, ids: Iterable[str]) -> set[str]:
    """Which of the label ids the collection holds, within qdrant.filter: by group_key, else
    id_key (filtered scrolls with MatchAny), else as point ids."""
    q = settings.qdrant
    client = open_client(q)
    user = query_filter(q)
    key = q.group_key or q.id_key
    found: set[str] = set()
    remaining = sorted(set(ids))
    for start in range(0, len(remaining), _LOOKUP_CHUNK):
        chunk = remaining[start : start + _LOOKUP_CHUNK]
        if key is None:
            point_ids = {pid: i for i in chunk if (pid := _as_point_id(i)) is not None}
            if not point_ids:
                continue
            cond = models.Filter(must=[models.HasIdCondition(has_id=list(point_ids))])
            flt = models.Filter(must=[cond, user]) if user else cond
            points, _ = client.scroll(
                q.collection, scroll_filter=flt, limit=len(point_ids), with_payload=False
            )
            found |= {point_ids[p.id] for p in points if p.id in point_ids}
            continue
        # Ask again for the ids not yet seen: a group with many chunks costs one page, not a
        # scroll through all of them.
        todo = list(chunk)
        while todo:
            cond = _key_condition(key, todo)
            flt = models.Filter(must=[cond, user]) if user else cond
            points, _ = client.scroll(
                q.collection,
                scroll_filter=flt,
                limit=_LOOKUP_CHUNK,
                with_payload=[key],
                with_vectors=False,
            )
            seen = {v for p in points for v in _values(payload_value(p.payload, key))}
            new = seen & set(todo)
            if not new:
                break
            found |= new
            todo = [i for i in todo if i not in new]
    return found


def require_some_labels_found(settings: Settings, ids: set[str], found: set[str]) -> None:
    """A labels file none of whose ids the collection holds measures nothing: stop."""
    if ids and not found:
        examples = ", ".join(sorted(ids)[:3])
        raise NotReadyError(
            f"{settings.dataset.labels}: none of the {len(ids)} document ids the labels name "
            f"(e.g. {examples}) is in collection '{settings.qdrant.collection}' matched on "
            f"{label_key(settings)}; labels naming source documents need qdrant.group_key, "
            "ids kept in the payload qdrant.id_key"
        )
