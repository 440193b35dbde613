"""`costs --estimate`: which backend is priced, and the refusals that replace a row of zeros."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from config.settings import load_settings
from tasks import costs
from tasks.errors import SettingsError, UserError
from tests.helpers import REPO


def estimate_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", "costs", "--estimate", "--queries", "1000", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("backend", ["none", "bm25"])
def test_estimate_refuses_a_backend_with_nothing_to_price(backend: str) -> None:
    settings = load_settings("demo", {"reranker.backend": backend})
    with pytest.raises(SettingsError, match=f"reranker.backend is '{backend}'.*--reranker cohere"):
        costs.estimate(settings, queries=10, documents=50, queries_per_day=100)


def test_estimate_of_a_local_backend_needs_its_throughput() -> None:
    settings = load_settings("demo", {"reranker.backend": "flag", "reranker.model": "m"})
    with pytest.raises(SettingsError, match="'flag' needs costs.local_pairs_per_second") as err:
        costs.estimate(settings, queries=10, documents=50, queries_per_day=100)
    assert isinstance(err.value, UserError) and "\n" not in str(err.value)


def test_cli_estimate_prices_the_backend_given() -> None:
    # The demo profile reranks with bm25: without --reranker there is nothing to price.
    refused = estimate_cli()
    assert refused.returncode != 0
    out = (refused.stdout + refused.stderr).strip()
    assert "reranker.backend is 'bm25'" in out and "--reranker cohere" in out
    assert len(out.splitlines()) == 1, out

    done = estimate_cli("--reranker", "cohere", "--documents", "250", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    [row] = json.loads(done.stdout)
    # 250 documents in one request (max 1000): ceil(250 / 100) = 3 search units a query.
    assert (row["backend"], row["model"]) == ("cohere", "rerank-v3.5")
    assert row["search_units"] == 3000 and row["cost"] == pytest.approx(6.0)

    named = estimate_cli("--reranker", "cohere", "--model", "rerank-english-v3.0", "--json")
    assert named.returncode == 0, named.stdout + named.stderr
    assert json.loads(named.stdout)[0]["model"] == "rerank-english-v3.0"

    local = estimate_cli("--reranker", "cross-encoder", "--model", "some/model")
    assert local.returncode != 0
    assert "needs costs.local_pairs_per_second" in local.stdout + local.stderr
    priced = estimate_cli(
        *("--reranker", "cross-encoder", "--model", "some/model", "--json"),
        *("--set", "costs.local_pairs_per_second=500", "--documents", "50"),
    )
    assert priced.returncode == 0, priced.stdout + priced.stderr
    assert json.loads(priced.stdout)[0]["device_seconds"] == pytest.approx(100.0)
