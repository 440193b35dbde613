"""prefect.yaml: every deployment's flow loads, its parameters fit, and it deploys to a server."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import pytest
import yaml
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import load_flow_from_entrypoint

from config.settings import load_settings, merge_overrides
from tests.helpers import REPO

SPEC = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
DEPLOYMENTS = {d["name"]: d for d in SPEC["deployments"]}


def test_declared_deployments():
    assert set(DEPLOYMENTS) == {
        "nightly-regression",
        "faq-precompute",
        "index-corpus",
        "rerank-gpu",
        "retrieve-cpu",
        "bakeoff",
    }
    for name in ("nightly-regression", "faq-precompute"):
        [schedule] = DEPLOYMENTS[name]["schedules"]
        CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # validates both
    pools = {name: d["work_pool"]["name"] for name, d in DEPLOYMENTS.items()}
    assert pools == {name: "gpu" if name == "rerank-gpu" else "cpu" for name in DEPLOYMENTS}


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_entrypoint_and_parameters(name):
    spec = DEPLOYMENTS[name]
    flow = load_flow_from_entrypoint(str(REPO / spec["entrypoint"]))
    assert flow.name == name
    # Raises on a parameter the flow does not take or a value of the wrong type.
    # The stages' run_dir is given per run, by the flow that hands the run over.
    given = {"run_dir": "/runs/run_id=x"} if name in ("rerank-gpu", "retrieve-cpu") else {}
    flow.validate_parameters({**given, **spec["parameters"]})


def test_user_overrides_apply_over_the_deployments():
    gpu = {"run.rerank_deployment": "rerank-gpu/rerank-gpu"}
    assert merge_overrides(gpu, {"run.top_k": 5}) == {**gpu, "run.top_k": 5}
    assert merge_overrides(gpu, None) == gpu and merge_overrides(None, None) == {}
    # The user's value wins, null unsets, and a whole section comes after the dotted keys.
    settings = load_settings("demo", merge_overrides(gpu, {"run.rerank_deployment": None}))
    assert settings.run.rerank_deployment is None
    merged = merge_overrides(gpu, {"run": {"top_k": 3}})
    assert list(merged) == ["run.rerank_deployment", "run"]
    assert load_settings("demo", merged).run.rerank_deployment is None
    for name in ("nightly-regression", "faq-precompute"):
        params = DEPLOYMENTS[name]["parameters"]
        assert params["deployment_overrides"] == gpu and params["overrides"] == {}


@pytest.mark.slow
def test_deploy_all_registers_schedules(prefect_server, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.settings import PREFECT_API_URL

    with get_client(sync_client=True) as client:
        for pool in ("cpu", "gpu"):
            with contextlib.suppress(ObjectAlreadyExists):
                client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    env = {
        **os.environ,
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "RERANKFLOW_HOME": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with get_client(sync_client=True) as client:
        for name, spec in DEPLOYMENTS.items():
            deployment = client.read_deployment_by_name(f"{name}/{name}")
            assert deployment.work_pool_name == spec["work_pool"]["name"]
            assert deployment.parameters == spec["parameters"]
            assert deployment.pull_steps == [
                {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}
            ]
            got = [(s.schedule.cron, s.schedule.timezone, s.active) for s in deployment.schedules]
            want = [(s["cron"], s["timezone"], s["active"]) for s in spec.get("schedules", [])]
            assert got == want

    # A user triggers the deployments with overrides of their own: Prefect replaces the
    # `overrides` parameter whole, the deployment's `deployment_overrides` stay, and the
    # flow's merge keeps the gpu hand-off.
    with get_client(sync_client=True) as client:
        for name in ("nightly-regression", "faq-precompute"):
            deployment = client.read_deployment_by_name(f"{name}/{name}")
            run = client.create_flow_run_from_deployment(
                deployment.id, parameters={"overrides": {"run.top_k": 5}}
            )
            try:
                params = client.read_flow_run(run.id).parameters
            finally:
                client.delete_flow_run(run.id)  # no worker here: it would only wait
            assert params["overrides"] == {"run.top_k": 5}
            assert params["deployment_overrides"] == spec_overrides(name)
            flow = load_flow_from_entrypoint(str(REPO / DEPLOYMENTS[name]["entrypoint"]))
            flow.validate_parameters(params)
            merged = merge_overrides(params["deployment_overrides"], params["overrides"])
            settings = load_settings(params["profile"], merged)
            assert settings.run.top_k == 5
            assert settings.run.rerank_deployment == "rerank-gpu/rerank-gpu"


def spec_overrides(name: str) -> dict:
    return DEPLOYMENTS[name]["parameters"]["deployment_overrides"]
