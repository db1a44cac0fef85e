"""Values for ``${secret:name}``: from the environment, a file, or Google Secret Manager.

A plan says where each secret lives, never what it is::

    secrets:
      admin_password: {env: LUCKY_ADMIN_PASSWORD, default_for_sandbox: "dev-only"}
      db_password:    {file: secrets/db_password.txt}
      maps_api_key:   {gcp_secret: projects/lucky-gas/secrets/maps-api-key/versions/latest}

- ``env``: the environment variable; unset or empty counts as missing. Then
  ``default_for_sandbox`` applies, but only when the plan is not
  ``protected``: a protected plan (production) never runs on a default
  written in a file.
- ``file``: a path relative to the plan file's directory (``~`` expands);
  trailing newlines are stripped; an empty file counts as missing.
- ``gcp_secret``: ``projects/P/secrets/S/versions/V`` (without
  ``/versions/V``: ``latest``), read with ``GET {endpoint}/v1/{name}:access``
  from the plan's ``gcp.endpoints.secretmanager`` or the real
  ``https://secretmanager.googleapis.com``, with the bearer token from
  ``token_provider`` (None sends no Authorization header, as for a sandbox).

``SecretResolver`` looks each secret up the first time it is needed, keeps it
for the run, and lists every value it resolved (``values()``) — and hands
each to ``on_resolve(value, name)`` at once (``Redactor.add`` fits) — so the
redactor can remove them from everything that is stored or printed. A secret that cannot be found is an ``InputError``
naming the secret and where it was looked for.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from luckyctl.errors import InputError
from luckyctl.model import Plan, SecretSource

if TYPE_CHECKING:
    import httpx

SECRET_MANAGER = "https://secretmanager.googleapis.com"
_SECRET_NAME = re.compile(r"^projects/[^/]+/secrets/[^/]+(/versions/[^/]+)?$")


class SecretResolver:
    """Resolves a plan's secrets by name, lazily, once each; safe to share between threads."""

    def __init__(
        self,
        plan: Plan,
        *,
        plan_dir: Path,
        environ: Mapping[str, str] | None = None,
        token_provider: Callable[[], str] | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        on_resolve: Callable[[str, str], object] | None = None,
    ) -> None:
        self.plan = plan
        self.plan_dir = plan_dir
        self.environ = os.environ if environ is None else environ
        self._token_provider = token_provider
        self._transport = transport
        self._timeout = timeout
        self._on_resolve = on_resolve
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str) -> str:
        """The secret's value: what ``variables.Resolver`` calls for ``${secret:name}``."""
        return self.get(name)

    def get(self, name: str) -> str:
        with self._lock:
            if name not in self._values:
                value = self._look_up(name)
                self._values[name] = value
                if self._on_resolve is not None:
                    self._on_resolve(value, name)
            return self._values[name]

    def values(self) -> list[str]:
        """Every value resolved so far (never empty strings)."""
        with self._lock:
            return list(self._values.values())

    def _look_up(self, name: str) -> str:
        source = self.plan.secrets.get(name)
        if source is None:
            raise InputError(f"unknown secret '{name}': plan '{self.plan.name}' has no such entry under 'secrets'")
        if source.env:
            return self._from_env(name, source)
        if source.file:
            return self._from_file(name, source.file)
        assert source.gcp_secret  # the model allows exactly one source
        return self._from_secret_manager(name, source.gcp_secret)

    def _from_env(self, name: str, source: SecretSource) -> str:
        value = self.environ.get(source.env or "")
        if value:
            return value
        if source.default_for_sandbox and not self.plan.protected:
            return source.default_for_sandbox
        note = " (its default_for_sandbox is ignored: the plan is protected)" if source.default_for_sandbox else ""
        raise InputError(f"secret '{name}': environment variable {source.env} is not set{note}")

    def _from_file(self, name: str, file: str) -> str:
        path = (self.plan_dir / Path(file).expanduser()).resolve()
        try:
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except FileNotFoundError:
            raise InputError(f"secret '{name}': file {path} not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"secret '{name}': cannot read file {path}: {exc}") from None
        if not value:
            raise InputError(f"secret '{name}': file {path} is empty")
        return value

    def _from_secret_manager(self, name: str, resource: str) -> str:
        import httpx

        from luckyctl.steps.http import describe_failure, open_client

        if not _SECRET_NAME.match(resource):
            raise InputError(f"secret '{name}': '{resource}' is not projects/P/secrets/S[/versions/V]")
        if "/versions/" not in resource:
            resource += "/versions/latest"
        endpoint = self.plan.gcp.endpoints.get("secretmanager", SECRET_MANAGER).rstrip("/")
        url = f"{endpoint}/v1/{resource}:access"
        where = f"Secret Manager {resource} at {endpoint}"
        headers = {}
        if self._token_provider is not None:
            try:
                headers["Authorization"] = f"Bearer {self._token_provider()}"
            except Exception as exc:  # any credentials library's failure is the user's setup to fix
                raise InputError(f"secret '{name}': no Google access token for {where}: {exc}") from None
        try:
            with open_client(self._transport, self._timeout) as client:
                response = client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise InputError(f"secret '{name}': {where}: {describe_failure(exc, url, self._timeout)}") from None
        if response.status_code != 200:
            raise InputError(f"secret '{name}': {where} answered {response.status_code}{_google_error(response)}")
        return _payload(name, where, response)


def _google_error(response: httpx.Response) -> str:
    """': message' from Google's ``{"error": {"message": …}}``, when the body has one."""
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return ""
    return f": {message}" if isinstance(message, str) else ""


def _payload(name: str, where: str, response: httpx.Response) -> str:
    try:
        data = response.json()["payload"]["data"]
        value = base64.b64decode(data, validate=True).decode("utf-8")
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InputError(f"secret '{name}': {where} sent no readable payload.data") from None
    if not value:
        raise InputError(f"secret '{name}': {where} holds an empty value")
    return value
