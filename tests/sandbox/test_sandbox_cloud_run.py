"""The Cloud Run Admin v2 stand-in, driven by the real google-cloud-run REST client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from google.api import launch_stage_pb2
from google.api_core import exceptions
from google.cloud import run_v2

from luckyctl.sandbox.settings import SandboxSettings

PARENT = "projects/lucky-gas-sandbox/locations/asia-east1"
REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
IMAGE = "asia-east1-docker.pkg.dev/lucky-gas-sandbox/app/backend"


@pytest.fixture
def client(google_url: str, token_credentials: Any) -> run_v2.ServicesClient:
    return run_v2.ServicesClient(
        transport="rest", client_options={"api_endpoint": google_url}, credentials=token_credentials
    )


def new_service(image: str) -> run_v2.Service:
    return run_v2.Service(
        template=run_v2.RevisionTemplate(
            containers=[run_v2.Container(image=image, env=[run_v2.EnvVar(name="APP_ENV", value="sandbox")])],
            scaling=run_v2.RevisionScaling(min_instance_count=1),
        ),
        scaling=run_v2.ServiceScaling(min_instance_count=1),
    )


def test_deploy_then_shift_traffic_blue_green(client: run_v2.ServicesClient, api_url: str,
                                              sandbox_settings: SandboxSettings) -> None:
    operation = client.create_service(parent=PARENT, service=new_service(f"{IMAGE}:1.0.0"),
                                      service_id=sandbox_settings.backend_service)
    blue = operation.result(timeout=30)
    assert blue.terminal_condition.state == run_v2.Condition.State.CONDITION_SUCCEEDED
    assert blue.latest_ready_revision.endswith("/revisions/lucky-gas-backend-00001-" + blue.latest_ready_revision[-3:])
    assert blue.uri == api_url
    assert blue.template.containers[0].env[0].value == "sandbox"
    assert blue.scaling.min_instance_count == 1
    assert blue.ingress == run_v2.IngressTraffic.INGRESS_TRAFFIC_ALL
    assert blue.launch_stage == launch_stage_pb2.LaunchStage.GA
    assert httpx.get(f"{api_url}/version").json()["image"] == f"{IMAGE}:1.0.0"

    # deploy green with no traffic, then move 10 %, then all of it
    service = client.get_service(name=blue.name)
    blue_revision = service.latest_ready_revision.rsplit("/", 1)[1]
    service.template.containers[0].image = f"{IMAGE}:1.1.0"
    service.traffic = [run_v2.TrafficTarget(type_=REVISION, revision=blue_revision, percent=100)]
    green = client.update_service(service=service).result(timeout=30)
    green_revision = green.latest_created_revision.rsplit("/", 1)[1]
    assert green_revision.startswith("lucky-gas-backend-00002-")
    assert [(t.revision, t.percent) for t in green.traffic_statuses] == [(blue_revision, 100)]

    green.traffic = [run_v2.TrafficTarget(type_=REVISION, revision=blue_revision, percent=90),
                     run_v2.TrafficTarget(type_=REVISION, revision=green_revision, percent=10, tag="canary")]
    canary = client.update_service(service=green).result(timeout=30)
    assert {(t.revision, t.percent, t.tag) for t in canary.traffic_statuses} == {
        (blue_revision, 90, ""), (green_revision, 10, "canary")}
    assert canary.latest_created_revision == green.latest_created_revision  # traffic alone makes no revision
    version = httpx.get(f"{api_url}/version").json()
    assert (version["revision"], version["image"]) == (blue_revision, f"{IMAGE}:1.0.0")

    canary.traffic = [run_v2.TrafficTarget(type_=REVISION, revision=green_revision, percent=100)]
    client.update_service(service=canary).result(timeout=30)
    assert httpx.get(f"{api_url}/version").json()["image"] == f"{IMAGE}:1.1.0"
    revisions = httpx.get(f"{client.transport._host}/v2/{blue.name}/revisions",
                          headers={"Authorization": "Bearer t"}).json()["revisions"]
    assert [r["name"].rsplit("/", 1)[1] for r in revisions] == [blue_revision, green_revision]


def test_operations_finish_after_a_poll(google_url: str, bearer: dict[str, str]) -> None:
    body = {"template": {"containers": [{"image": f"{IMAGE}:2.0.0"}]}}
    created = httpx.post(f"{google_url}/v2/{PARENT}/services", params={"serviceId": "poll-demo"}, json=body,
                         headers=bearer).json()
    assert created["done"] is False
    reconciling = httpx.get(f"{google_url}/v2/{PARENT}/services/poll-demo", headers=bearer).json()
    assert reconciling["reconciling"] is True and "latestReadyRevision" not in reconciling
    polled = httpx.get(f"{google_url}/v2/{created['name']}", headers=bearer).json()
    assert polled["done"] is True
    assert polled["response"]["@type"] == "type.googleapis.com/google.cloud.run.v2.Service"
    assert polled["response"]["terminalCondition"]["state"] == "CONDITION_SUCCEEDED"


def test_list_get_and_delete(client: run_v2.ServicesClient) -> None:
    client.create_service(parent=PARENT, service=new_service(f"{IMAGE}:3.0.0"), service_id="short-lived").result(30)
    assert "short-lived" in {s.name.rsplit("/", 1)[1] for s in client.list_services(parent=PARENT)}
    client.delete_service(name=f"{PARENT}/services/short-lived").result(timeout=30)
    with pytest.raises(exceptions.NotFound):
        client.get_service(name=f"{PARENT}/services/short-lived")


def test_bad_requests_get_googles_errors(client: run_v2.ServicesClient, google_url: str) -> None:
    client.create_service(parent=PARENT, service=new_service("x"), service_id="dupe").result(30)
    with pytest.raises(exceptions.Conflict, match="already exists"):  # REST maps 409 to Conflict
        client.create_service(parent=PARENT, service=new_service("x"), service_id="dupe")
    with pytest.raises(exceptions.BadRequest, match="percents must add up to 100"):
        service = new_service("x")
        service.traffic = [run_v2.TrafficTarget(
            type_=run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent=50)]
        client.create_service(parent=PARENT, service=service, service_id="half")
    with pytest.raises(exceptions.BadRequest, match="at least one container"):
        client.create_service(parent=PARENT, service=run_v2.Service(), service_id="empty")
    with pytest.raises(exceptions.Forbidden):
        client.get_service(name="projects/someone-else/locations/asia-east1/services/x")
    unauthenticated = httpx.get(f"{google_url}/v2/{PARENT}/services")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["status"] == "UNAUTHENTICATED"
    unknown_field = httpx.post(f"{google_url}/v2/{PARENT}/services", params={"serviceId": "typo"},
                               json={"templat": {}}, headers={"Authorization": "Bearer t"})
    assert unknown_field.status_code == 400 and "templat" in unknown_field.json()["error"]["message"]
