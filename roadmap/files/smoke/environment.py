"""Where the smoke tests point: the API and the test accounts of one environment, from the environment.

A missing setting fails the run: a smoke test that quietly skips proves nothing.
"""

from __future__ import annotations

import os

from deploytools.luckyapi import LuckyApi



def api_url() -> str:
    url = os.environ.get("LUCKY_API_URL")
    if not url:
        raise RuntimeError("LUCKY_API_URL is not set: which environment should be smoke-tested?")
    return url


def account(role: str) -> tuple[str, str]:
    """(username, password) of the environment's test account for ``role``."""
    prefix = f"LUCKY_{role.upper()}"
    username, password = os.environ.get(f"{prefix}_USER"), os.environ.get(f"{prefix}_PASSWORD")
    if not username or not password:
        raise RuntimeError(f"{prefix}_USER / {prefix}_PASSWORD are not set")
    return username, password


def logged_in(role: str) -> LuckyApi:
    api = LuckyApi(api_url())
    api.login(*account(role))
    return api
