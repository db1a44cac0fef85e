"""Secrets from the environment, files, and Secret Manager over real HTTP."""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import unused_port
from helpers.http_server import LocalHttpServer
from luckyctl.errors import InputError
from luckyctl.model import GcpSettings, Plan, SecretSource
from luckyctl.secrets import SecretResolver

MAPS_KEY = "AIzaSyD-sandbox-key-0123456789abcdefghij"
ACCESS_PATH = "/v1/projects/lucky-gas-sandbox/secrets/maps-api-key/versions/latest:access"

pytest_plugins = ["helpers"]  # the http_server fixture


def plan(
    secrets: dict[str, dict[str, str]], *, name: str = "sandbox", protected: bool = False, endpoint: str | None = None
) -> Plan:
    gcp = GcpSettings(credentials="anonymous", endpoints={"secretmanager": endpoint} if endpoint else {})
    return Plan(
        name=name,
        protected=protected,
        gcp=gcp,
        secrets={key: SecretSource.model_validate(value) for key, value in secrets.items()},
    )


def access_response(value: str) -> dict[str, Any]:
    """The JSON shape of Secret Manager's versions.access."""
    return {
        "name": "projects/123/secrets/maps-api-key/versions/3",
        "payload": {"data": base64.b64encode(value.encode()).decode(), "dataCrc32c": "1234"},
    }


def test_a_secret_from_the_environment(tmp_path: Path) -> None:
    resolver = SecretResolver(
        plan({"admin": {"env": "LUCKY_ADMIN_PASSWORD"}}), plan_dir=tmp_path, environ={"LUCKY_ADMIN_PASSWORD": "pw-1"}
    )
    assert resolver("admin") == "pw-1"
    assert resolver.values() == ["pw-1"]


def test_the_real_environment_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUCKY_ADMIN_PASSWORD", "from-os-environ")
    assert (
        SecretResolver(plan({"admin": {"env": "LUCKY_ADMIN_PASSWORD"}}), plan_dir=tmp_path).get("admin")
        == "from-os-environ"
    )


def test_an_unset_or_empty_variable_uses_the_sandbox_default_on_an_unprotected_plan(tmp_path: Path) -> None:
    secrets = {"admin": {"env": "LUCKY_ADMIN_PASSWORD", "default_for_sandbox": "sandbox-admin"}}
    for environ in ({}, {"LUCKY_ADMIN_PASSWORD": ""}):
        assert (
            SecretResolver(plan(secrets, name="dev"), plan_dir=tmp_path, environ=environ).get("admin")
            == "sandbox-admin"
        )


def test_a_protected_plan_ignores_the_sandbox_default(tmp_path: Path) -> None:
    secrets = {"admin": {"env": "LUCKY_ADMIN_PASSWORD", "default_for_sandbox": "sandbox-admin"}}
    resolver = SecretResolver(plan(secrets, name="production", protected=True), plan_dir=tmp_path, environ={})
    with pytest.raises(InputError) as caught:
        resolver.get("admin")
    assert str(caught.value) == (
        "secret 'admin': environment variable LUCKY_ADMIN_PASSWORD is not set"
        " (its default_for_sandbox is ignored: the plan is protected)"
    )
    assert resolver.values() == []


def test_a_missing_variable_names_the_secret_and_the_variable(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        SecretResolver(plan({"admin": {"env": "LUCKY_ADMIN_PASSWORD"}}), plan_dir=tmp_path, environ={}).get("admin")
    assert str(caught.value) == "secret 'admin': environment variable LUCKY_ADMIN_PASSWORD is not set"


def test_an_unknown_secret_names_the_plan(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown secret 'nope': plan 'sandbox' has no such entry under 'secrets'"):
        SecretResolver(plan({}), plan_dir=tmp_path).get("nope")


def test_a_secret_from_a_file_next_to_the_plan(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "db_password").write_text("s3cr3t\n\n")
    resolver = SecretResolver(plan({"db": {"file": "secrets/db_password"}}), plan_dir=tmp_path)
    assert resolver.get("db") == "s3cr3t"


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "file {path} not found"), ("\n", "file {path} is empty"), (b"\xff\xfe", "cannot read file {path}")],
)
def test_a_file_secret_that_cannot_be_used(tmp_path: Path, content: str | bytes | None, problem: str) -> None:
    path = tmp_path / "db_password"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(InputError) as caught:
        SecretResolver(plan({"db": {"file": "db_password"}}), plan_dir=tmp_path).get("db")
    assert str(caught.value).startswith("secret 'db': " + problem.format(path=path))


def test_a_secret_from_secret_manager(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", ACCESS_PATH, json=access_response(MAPS_KEY))
    learned: list[tuple[str, str]] = []
    resolver = SecretResolver(
        plan(
            {"maps": {"gcp_secret": "projects/lucky-gas-sandbox/secrets/maps-api-key/versions/latest"}},
            endpoint=http_server.url + "/",
        ),
        plan_dir=tmp_path,
        token_provider=lambda: "ya29.test-token",
        on_resolve=lambda value, name: learned.append((name, value)),
    )
    assert resolver.get("maps") == MAPS_KEY
    assert resolver.get("maps") == MAPS_KEY  # cached: one request
    (request,) = http_server.requests
    assert request.path == ACCESS_PATH
    assert request.headers["authorization"] == "Bearer ya29.test-token"
    assert learned == [("maps", MAPS_KEY)] and resolver.values() == [MAPS_KEY]


def test_a_secret_name_without_a_version_reads_the_latest_without_a_token(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    http_server.route("GET", ACCESS_PATH, json=access_response("v"))
    resolver = SecretResolver(
        plan({"maps": {"gcp_secret": "projects/lucky-gas-sandbox/secrets/maps-api-key"}}, endpoint=http_server.url),
        plan_dir=tmp_path,
    )
    assert resolver.get("maps") == "v"
    assert "authorization" not in http_server.requests[0].headers


def test_the_default_endpoint_is_google(tmp_path: Path) -> None:
    urls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return httpx.Response(200, json=access_response("k"))

    resolver = SecretResolver(
        plan({"k": {"gcp_secret": "projects/p/secrets/k/versions/2"}}),
        plan_dir=tmp_path,
        transport=httpx.MockTransport(answer),
    )
    assert resolver.get("k") == "k"
    assert urls == ["https://secretmanager.googleapis.com/v1/projects/p/secrets/k/versions/2:access"]


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (
            404,
            {"error": {"code": 404, "message": "Secret [maps-api-key] not found or has no versions."}},
            "answered 404: Secret [maps-api-key] not found",
        ),
        (403, {"error": "denied"}, "answered 403"),
        (200, {"name": "x"}, "sent no readable payload.data"),
        (200, {"payload": {"data": "!!not base64!!"}}, "sent no readable payload.data"),
        (200, {"payload": {"data": ""}}, "holds an empty value"),
    ],
)
def test_secret_manager_failures_name_the_secret_and_where(
    http_server: LocalHttpServer, tmp_path: Path, status: int, body: Any, problem: str
) -> None:
    http_server.route("GET", ACCESS_PATH, status=status, json=body)
    resolver = SecretResolver(
        plan(
            {"maps": {"gcp_secret": "projects/lucky-gas-sandbox/secrets/maps-api-key/versions/latest"}},
            endpoint=http_server.url,
        ),
        plan_dir=tmp_path,
    )
    with pytest.raises(InputError) as caught:
        resolver.get("maps")
    message = str(caught.value)
    where = f"Secret Manager {ACCESS_PATH.removeprefix('/v1/').removesuffix(':access')} at {http_server.url}"
    assert message.startswith(f"secret 'maps': {where}")
    assert problem in message


def test_an_unreachable_secret_manager(tmp_path: Path) -> None:
    port = unused_port()
    resolver = SecretResolver(
        plan({"maps": {"gcp_secret": "projects/p/secrets/s"}}, endpoint=f"http://127.0.0.1:{port}"), plan_dir=tmp_path
    )
    with pytest.raises(InputError, match=f"secret 'maps': .* connection refused to 127.0.0.1:{port}"):
        resolver.get("maps")


def test_a_failing_token_provider(tmp_path: Path) -> None:
    def no_token() -> str:
        raise RuntimeError("Reauthentication is needed")

    resolver = SecretResolver(
        plan({"maps": {"gcp_secret": "projects/p/secrets/s"}}, endpoint="http://127.0.0.1:1"),
        plan_dir=tmp_path,
        token_provider=no_token,
    )
    with pytest.raises(InputError, match=r"no Google access token for .*: Reauthentication is needed"):
        resolver.get("maps")


def test_a_malformed_secret_name(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'maps-api-key' is not projects/P/secrets/S"):
        SecretResolver(plan({"maps": {"gcp_secret": "maps-api-key"}}), plan_dir=tmp_path).get("maps")


def test_threads_share_one_lookup(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", ACCESS_PATH, json=access_response(MAPS_KEY), delay=0.05)
    resolver = SecretResolver(
        plan({"maps": {"gcp_secret": "projects/lucky-gas-sandbox/secrets/maps-api-key"}}, endpoint=http_server.url),
        plan_dir=tmp_path,
    )
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(resolver.get("maps"))) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [MAPS_KEY] * 5
    assert len(http_server.requests) == 1
