"""No secret reaches the evidence folder or the terminal, whatever the steps print."""

from __future__ import annotations

import base64
from pathlib import Path

from engine_roadmaps import Project, one_story, sh, task
from helpers.http_server import LocalHttpServer

pytest_plugins = ["helpers"]  # the http_server fixture

SECRET = "s3cr3t-Lucky-Passw0rd-9f8e7d"
GOOGLE_KEY = "AIza" + "SyD3xampleK3yThatLooksReal012345678"
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZG1pbiIsInJvbGUiOiJvd25lciJ9.c2lnbmF0dXJlLWJ5dGVz"


def _leaks() -> dict[str, bytes]:
    return {
        "secret": SECRET.encode(),
        "secret as base64": base64.b64encode(SECRET.encode()).rstrip(b"="),
        "google api key": GOOGLE_KEY.encode(),
        "jwt": JWT.encode(),
    }


def test_secrets_appear_nowhere_in_evidence_or_output(tmp_path: Path, http_server: LocalHttpServer) -> None:
    # The server "leaks" what it was sent back in its body, as a careless API would.
    http_server.route("GET", "/whoami", json={"token_seen": SECRET, "key": GOOGLE_KEY, "session": JWT})
    printing = [
        sh('echo "the password is $LUCKY_TEST_SECRET"'),
        sh('printf %s "$LUCKY_TEST_SECRET" | base64; echo'),
        sh(f"echo key {GOOGLE_KEY} token {JWT} >&2"),
        {"run": {"argv": ["sh", "-c", "echo got an argument of $${#1} characters", "sh", "${secret:api_password}"]}},
    ]
    call = {
        "http": {
            "url": "${backend_url}/whoami",
            "headers": {"Authorization": "Bearer ${secret:api_password}", "X-Api-Key": GOOGLE_KEY},
            "expect": {"status": 200},
        }
    }
    failing = {"run": {"argv": ["sh", "-c", "echo nothing to see"], "expect": {"stdout_contains": "${secret:api_password}"}}}
    project = Project(
        tmp_path,
        one_story(task("PRINTS", steps=printing, checks=[call]), task("FAILS", "PRINTS", steps=[failing])),
        plan={"vars": {"backend_url": http_server.url}, "secrets": {"api_password": {"env": "LUCKY_TEST_SECRET"}}},
    )
    env = {"LUCKY_TEST_SECRET": SECRET}
    outputs = []
    for args in (("task", "execute", "P", "--continue-on-failure"), ("task", "execute", "P", "--json", "--force")):
        done = project.cli(*args, env=env)
        assert done.returncode == 1, done.stdout + done.stderr  # FAILS fails on purpose
        outputs.append((done.stdout + done.stderr).encode())
    outputs.append(project.cli("task", "plan", "P", "--json", env=env).stdout.encode())

    # The steps really saw the secret: the server got it, and the argument had its length.
    assert http_server.requests_to("/whoami")[0].headers["authorization"] == f"Bearer {SECRET}"
    assert f"got an argument of {len(SECRET)} characters".encode() in b"".join(_artifacts(tmp_path))
    assert b"[REDACTED:" in b"".join(_artifacts(tmp_path))

    files = [path for path in (tmp_path / "evidence").rglob("*") if path.is_file()]
    assert any(path.name == "luckyctl.db" for path in files) and len(files) > 5
    for what, needle in _leaks().items():
        for path in files:
            assert needle not in path.read_bytes(), f"{what} found in {path}"
        for output in outputs:
            assert needle not in output, f"{what} printed"


def _artifacts(root: Path) -> list[bytes]:
    return [path.read_bytes() for path in (root / "evidence" / "sandbox" / "artifacts").rglob("*") if path.is_file()]
