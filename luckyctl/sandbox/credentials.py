"""The sandbox's own service-account key file.

Its ``token_uri`` is the Google stand-in's ``/token`` and the stand-in knows
its public key, so ``google.auth`` (``service-account-file:PATH`` or
``GOOGLE_APPLICATION_CREDENTIALS``) gets real tokens from the sandbox.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from luckyctl.sandbox.paths import SandboxPaths
from luckyctl.sandbox.settings import SandboxSettings

ACCOUNT_ID = "luckyctl-runner"


def ensure_credentials_file(paths: SandboxPaths, settings: SandboxSettings) -> None:
    """Write the key file once; keep its ``token_uri`` pointing at the current stand-in port."""
    target = paths.credentials_file
    if target.is_file():
        info: dict[str, Any] = json.loads(target.read_text())
        if info.get("token_uri") == f"{settings.google_url}/token" and info.get("project_id") == settings.project:
            return
    else:
        info = {"private_key_id": uuid.uuid4().hex + uuid.uuid4().hex[:8], "private_key": _new_private_key()}
    email = f"{ACCOUNT_ID}@{settings.project}.iam.gserviceaccount.com"
    info.update(
        type="service_account", project_id=settings.project, client_email=email,
        client_id=str(uuid.uuid5(uuid.NAMESPACE_URL, email).int % 10**21),
        auth_uri=f"{settings.google_url}/o/oauth2/auth", token_uri=f"{settings.google_url}/token",
        universe_domain="googleapis.com",
    )
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(info, indent=2))
    os.chmod(temporary, 0o600)
    os.replace(temporary, target)


def _new_private_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
