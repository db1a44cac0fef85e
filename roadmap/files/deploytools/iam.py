"""Grant IAM roles by read-modify-write, never by overwriting a resource's whole policy.

    python -m deploytools.iam RESOURCE_URL --member serviceAccount:X --role roles/a [--role roles/b …]

``RESOURCE_URL`` is the REST name of anything with ``:getIamPolicy`` /
``:setIamPolicy`` (a project: ``https://cloudresourcemanager.googleapis.com/v1/projects/P``).
The current policy is read, the missing members added to the roles' bindings
and the policy written back with its etag; a concurrent change (409) starts
the cycle again. Bindings of other members stay as they were, which is what
``gcloud projects add-iam-policy-binding`` does too. The bearer token comes
from ``GOOGLE_OAUTH_ACCESS_TOKEN``. Prints ``::metric iam_bindings_added=N``;
exits 1 when the policy cannot be written, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

ATTEMPTS = 5


class PolicyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


def call(url: str, token: str, body: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            message = json.loads(raw)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = raw.decode("utf-8", "replace")[:200]
        raise PolicyError(error.code, message) from None


def with_members(policy: dict[str, Any], member: str, roles: list[str]) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``policy`` where ``member`` holds every role, and the roles that had to be added."""
    updated = copy.deepcopy(policy)
    bindings = updated.setdefault("bindings", [])
    added = []
    for role in roles:
        # conditional bindings are someone else's: add an unconditional one next to them
        binding = next((b for b in bindings if b.get("role") == role and "condition" not in b), None)
        if binding is None:
            binding = {"role": role, "members": []}
            bindings.append(binding)
        if member not in binding.setdefault("members", []):
            binding["members"].append(member)
            added.append(role)
    return updated, added


def grant(resource_url: str, member: str, roles: list[str], token: str) -> list[str]:
    """Add the bindings; the roles that were added (empty when all were there already)."""
    for attempt in range(1, ATTEMPTS + 1):
        policy = call(f"{resource_url}:getIamPolicy", token, {"options": {"requestedPolicyVersion": 3}})
        updated, added = with_members(policy, member, roles)
        if not added:
            return []
        try:
            call(f"{resource_url}:setIamPolicy", token, {"policy": updated})
        except PolicyError as error:
            if error.status == 409 and attempt < ATTEMPTS:
                continue  # someone changed the policy since we read it: read it again
            raise
        return added
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="iam", description=__doc__.splitlines()[0])
    parser.add_argument("resource_url")
    parser.add_argument("--member", required=True, help="e.g. serviceAccount:api@project.iam.gserviceaccount.com")
    parser.add_argument("--role", action="append", required=True, dest="roles")
    args = parser.parse_args(argv)
    token = os.environ.get("GOOGLE_OAUTH_ACCESS_TOKEN")
    if not token:
        print("GOOGLE_OAUTH_ACCESS_TOKEN is not set", file=sys.stderr)
        return 2
    try:
        added = grant(args.resource_url.rstrip("/"), args.member, args.roles, token)
    except (PolicyError, urllib.error.URLError, OSError) as error:
        print(f"cannot update the policy of {args.resource_url}: {error}", file=sys.stderr)
        return 1
    for role in args.roles:
        print(f"{args.member}: {role} ({'granted' if role in added else 'already held'})")
    print(f"::metric iam_bindings_added={len(added)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
