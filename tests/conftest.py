"""Shared fixtures: one Prefect test server per session, offline models, a tiny cross-encoder,
the demo sample indexed once, an S3-compatible server. Everything else tests share is in
`tests.helpers`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import S3_ENV, build_tiny_cross_encoder, profile_overrides

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def prefect_server():
    """A temporary Prefect server (10-15 s to start), shared by every test that runs a flow."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory) -> Path:
    return build_tiny_cross_encoder(tmp_path_factory.mktemp("tiny-cross-encoder"))


@pytest.fixture(scope="session")
def sample_index(prefect_server, tmp_path_factory) -> tuple[Path, dict]:
    """The demo sample indexed once for the session (~20 s each time it is built): its folder
    and the index report. Tests link it into their own folder (`tests.helpers.use_sample_index`)
    and only read it; a test that changes an index builds its own."""
    from flows.index_corpus import index_corpus

    tmp = tmp_path_factory.mktemp("sample-index")
    return tmp, index_corpus(profile="demo", overrides=profile_overrides(tmp))


@pytest.fixture(scope="session")
def s3_endpoint():
    """An S3-compatible server on 127.0.0.1 (moto), shared by the session: its URL."""
    from moto.server import ThreadedMotoServer

    for key, value in S3_ENV.items():
        os.environ.setdefault(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_runs(s3_endpoint, request) -> tuple[str, dict]:
    """A fresh bucket for one test: (runs root URL, storage options)."""
    import re
    import secrets

    from tasks.runs import storage

    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    bucket = f"{name}-{secrets.token_hex(3)}"
    options = {"endpoint_url": s3_endpoint}
    storage.location(f"s3://{bucket}", options).fs.mkdir(bucket)
    return f"s3://{bucket}/runs", options
