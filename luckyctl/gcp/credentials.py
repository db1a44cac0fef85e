"""Google credentials for a plan, from its ``gcp.credentials``, and access tokens from them.

``gcp.credentials`` is one of:

- ``anonymous`` — for the sandbox: credentials that carry the fixed token
  ``sandbox-anonymous`` and never refresh. Google's ``AnonymousCredentials``
  would send no token at all, which the stand-ins refuse and the Cloud SQL
  connector cannot use.
- ``adc`` — Application Default Credentials (``google.auth.default``):
  ``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's user credentials, or the
  metadata server; scope ``cloud-platform``.
- ``service-account-file:PATH`` — a service-account key file, PATH relative to
  the plan file's folder. Tokens come from the key's own ``token_uri`` (the
  sandbox's key file points at its stand-in).

A setup that cannot give credentials (no ADC, a missing or broken key file)
is a ``PlanError`` naming what to fix. google-auth is imported only here,
inside the functions, so commands that never touch Google do not pay for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from luckyctl.errors import PlanError
from luckyctl.steps.services import shared

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

    from luckyctl.model import Plan
    from luckyctl.steps.base import StepContext

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
SANDBOX_TOKEN = "sandbox-anonymous"
SERVICE_ACCOUNT_FILE = "service-account-file:"
CREDENTIALS_KEY = "gcp.credentials"  # where a run keeps them in StepContext.services


def credentials_for(plan: Plan, *, plan_dir: Path) -> Credentials:
    """The credentials ``plan.gcp.credentials`` asks for; PlanError when there are none to be had."""
    mode = plan.gcp.credentials
    if mode == "anonymous":
        import google.oauth2.credentials

        return google.oauth2.credentials.Credentials(token=SANDBOX_TOKEN)
    if mode == "adc":
        return _application_default(plan)
    key_file = Path(mode.removeprefix(SERVICE_ACCOUNT_FILE)).expanduser()  # the model allows nothing else
    return _service_account(plan, plan_dir / key_file)


def _application_default(plan: Plan) -> Credentials:
    import google.auth
    import google.auth.exceptions

    try:
        credentials, _project = google.auth.default(scopes=[CLOUD_PLATFORM])
    except google.auth.exceptions.DefaultCredentialsError as exc:
        message = f"gcp.credentials adc: no Application Default Credentials: {_first_line(exc)}"
        raise _error(plan, message) from None
    return credentials


def _service_account(plan: Plan, path: Path) -> Credentials:
    from google.oauth2 import service_account

    path = path.resolve()
    try:
        return service_account.Credentials.from_service_account_file(str(path), scopes=[CLOUD_PLATFORM])
    except FileNotFoundError:
        raise _error(plan, f"gcp.credentials: service-account key file {path} not found") from None
    except (OSError, ValueError) as exc:  # unreadable, not JSON, or not a service-account key
        message = f"gcp.credentials: {path} is not a usable service-account key file: {_first_line(exc)}"
        raise _error(plan, message) from None


def _error(plan: Plan, message: str) -> PlanError:
    """A PlanError at the plan's ``gcp.credentials`` line, when the plan came from a file."""
    path, line = plan.location("gcp.credentials") or (None, None)
    return PlanError(message, path=path, line=line)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def plan_dir_of(plan: Plan, fallback: Path) -> Path:
    """The folder of the plan's file (the loader remembers it), or ``fallback`` for a plan built in code."""
    location = plan.location("gcp.credentials") or plan.location("name")
    return Path(location[0]).parent if location else fallback


def token_provider(credentials: Credentials) -> Callable[[], str]:
    """A callable returning a valid access token, refreshing the credentials first when needed."""
    import google.auth.transport.requests

    request = google.auth.transport.requests.Request()
    lock = threading.Lock()

    def token() -> str:
        with lock:
            if not credentials.valid:
                credentials.refresh(request)
            return str(credentials.token)

    return token


def shared_credentials(ctx: StepContext) -> Credentials:
    """The plan's credentials, created on first use and kept for the run in ``ctx.services``."""
    return shared(
        ctx.services, CREDENTIALS_KEY, lambda: credentials_for(ctx.plan, plan_dir=plan_dir_of(ctx.plan, ctx.workdir))
    )


def plan_token_provider(plan: Plan, *, plan_dir: Path, services: dict[str, object] | None = None) -> Callable[[], str]:
    """A token callable for ``SecretResolver``: credentials are made on its first call only.

    Pass the run's ``services`` so the secrets and the steps share one set of credentials.
    """
    store: dict[str, object] = {} if services is None else services
    provider: list[Callable[[], str]] = []

    def token() -> str:
        if not provider:
            credentials = shared(store, CREDENTIALS_KEY, lambda: credentials_for(plan, plan_dir=plan_dir))
            provider.append(token_provider(credentials))
        return provider[0]()

    return token
