"""Google Cloud for the steps: credentials, endpoints, auth for httpx, error summaries, shared clients.

Importing this package imports no Google library; each function imports what
it needs when called. The modules:

- ``credentials`` — ``credentials_for(plan, plan_dir=…)`` from ``gcp.credentials``
  (anonymous | adc | service-account-file:PATH), ``token_provider(credentials)``,
  ``plan_token_provider(plan, plan_dir=…, services=…)`` for ``SecretResolver``,
  ``shared_credentials(ctx)`` for steps;
- ``endpoints`` — ``endpoint(plan, api)``: the base URL of an API;
- ``auth`` — ``GoogleAuth(credentials)``: an ``httpx.Auth`` (imports httpx);
- ``errors`` — ``describe_error(exc, service)``: one-line summaries;
- ``services`` — ``shared(services, key, create)`` and ``close_services(services)``;
- ``cloud_run`` — the Cloud Run Admin v2 calls of the ``cloud_run`` step;
- ``cloudsql`` — the Cloud SQL connector and DSN connections of the ``sql`` step.
"""

from __future__ import annotations

from luckyctl.gcp.credentials import credentials_for, plan_token_provider, shared_credentials, token_provider
from luckyctl.gcp.endpoints import endpoint
from luckyctl.gcp.errors import describe_error
from luckyctl.steps.services import close_services, shared

__all__ = [
    "close_services",
    "credentials_for",
    "describe_error",
    "endpoint",
    "plan_token_provider",
    "shared",
    "shared_credentials",
    "token_provider",
]
