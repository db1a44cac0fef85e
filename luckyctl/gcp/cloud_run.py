"""Cloud Run Admin v2 through google-cloud-run's REST client: read a service, deploy it, split its traffic.

Every call is bounded by one ``Deadline`` (the step's timeout) and makes no
retries of its own: retrying is the engine's job, with its backoff. A change
returns a long-running operation, polled here with ``get_operation`` (each
poll bounded too, and the run's cancel event honoured between polls) until
it is done; its result is the service as it is then.

The REST transport keeps the scheme of ``api_endpoint``, so the sandbox's
``http://127.0.0.1:PORT`` works; without a plan endpoint the library uses
its own default (``run.googleapis.com``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from luckyctl.gcp.credentials import shared_credentials
from luckyctl.gcp.endpoints import configured_endpoint
from luckyctl.gcp.errors import Cancelled
from luckyctl.steps.services import shared

if TYPE_CHECKING:
    from google.cloud import run_v2
    from google.longrunning import operations_pb2

    from luckyctl.model import TrafficTarget
    from luckyctl.steps.base import StepContext

CLIENT_KEY = "gcp.run"
_FIRST_POLL_DELAY_S = 0.25
_MAX_POLL_DELAY_S = 4.0


@dataclass(frozen=True)
class Deadline:
    """When the step must be done, and the run's stop signal."""

    at: float  # time.monotonic()
    cancel: threading.Event
    seconds: float  # the whole budget, for messages

    @classmethod
    def after(cls, seconds: float, cancel: threading.Event) -> Deadline:
        return cls(time.monotonic() + seconds, cancel, seconds)

    def remaining(self) -> float:
        """Seconds left; TimeoutError when none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no answer within {self.seconds:g}s")
        return left


def run_client(ctx: StepContext) -> run_v2.ServicesClient:
    """The run's Cloud Run client (REST transport), created on first use."""

    def create() -> run_v2.ServicesClient:
        from google.cloud import run_v2

        endpoint = configured_endpoint(ctx.plan, "run")
        options = {"api_endpoint": endpoint} if endpoint else None
        return run_v2.ServicesClient(transport="rest", client_options=options, credentials=shared_credentials(ctx))

    return shared(ctx.services, CLIENT_KEY, create)


def get_service(client: run_v2.ServicesClient, name: str, deadline: Deadline) -> run_v2.Service:
    return client.get_service(name=name, retry=None, timeout=deadline.remaining())


def find_service(client: run_v2.ServicesClient, name: str, deadline: Deadline) -> run_v2.Service | None:
    """The service, or None when Cloud Run has none of that name."""
    try:
        return get_service(client, name, deadline)
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise


def is_not_found(exc: BaseException) -> bool:
    from google.api_core import exceptions

    return isinstance(exc, exceptions.NotFound)


def create_service(
    client: run_v2.ServicesClient, parent: str, service_id: str, service: run_v2.Service, deadline: Deadline
) -> run_v2.Service:
    operation = client.create_service(
        parent=parent, service=service, service_id=service_id, retry=None, timeout=deadline.remaining()
    )
    return wait(client, operation.operation, deadline)


def update_service(client: run_v2.ServicesClient, service: run_v2.Service, deadline: Deadline) -> run_v2.Service:
    """Replace the service's spec with ``service`` (a read-modify-write keeps what was not changed)."""
    operation = client.update_service(service=service, retry=None, timeout=deadline.remaining())
    return wait(client, operation.operation, deadline)


def wait(client: run_v2.ServicesClient, operation: operations_pb2.Operation, deadline: Deadline) -> run_v2.Service:
    """Poll the operation until it is done; its service, or its error raised as a GoogleAPICallError."""
    from google.api_core import exceptions
    from google.cloud import run_v2

    delay = 0.0
    while not operation.done:
        if deadline.cancel.wait(min(delay, deadline.remaining())):
            raise Cancelled(f"cancelled while waiting for operation {operation.name}")
        operation = client.get_operation(request={"name": operation.name}, retry=None, timeout=deadline.remaining())
        delay = min(max(delay * 2, _FIRST_POLL_DELAY_S), _MAX_POLL_DELAY_S)
    if operation.HasField("error"):
        raise exceptions.from_grpc_status(operation.error.code, operation.error.message)
    return run_v2.Service.deserialize(operation.response.value)


def traffic_targets(targets: list[TrafficTarget]) -> list[run_v2.TrafficTarget]:
    """The step's ``traffic`` as Cloud Run targets: no revision means the latest ready one."""
    from google.cloud import run_v2

    kinds = run_v2.TrafficTargetAllocationType
    return [
        run_v2.TrafficTarget(type_=kinds.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent=target.percent)
        if target.revision is None
        else run_v2.TrafficTarget(
            type_=kinds.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION,
            revision=short_name(target.revision),
            percent=target.percent,
        )
        for target in targets
    ]


def as_json(service: run_v2.Service) -> dict[str, Any]:
    """The service as the REST API shows it: camelCase keys, enums by name, int64 as strings."""
    from google.cloud import run_v2
    from google.protobuf import json_format

    document: dict[str, Any] = json_format.MessageToDict(run_v2.Service.pb(service))
    return document


def short_name(resource: str) -> str:
    """``projects/p/locations/l/services/s/revisions/r`` → ``r``."""
    return resource.rsplit("/", 1)[-1]
