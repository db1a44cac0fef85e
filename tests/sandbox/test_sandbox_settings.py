"""Building the sandbox settings from a plan mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from luckyctl.errors import PlanError
from luckyctl.sandbox.settings import (
    Role,
    SandboxSettings,
    SeededSecret,
    settings_from_plan,
)

SANDBOX_PLAN = {
    "name": "sandbox",
    "vars": {
        "backend_url": "http://127.0.0.1:9765",
        "frontend_origin": "http://localhost:5173",
        "region": "asia-east1",
        "gcp_project": "lucky-gas-sandbox",
    },
    "secrets": {
        "admin_password": {"env": "LUCKY_TEST_ADMIN_PASSWORD", "default_for_sandbox": "from-plan-default"},
        "maps_api_key": {
            "gcp_secret": "projects/lucky-gas-sandbox/secrets/maps-api-key/versions/latest",
            "default_for_sandbox": "AIza-sandbox-key",
        },
    },
    "gcp": {
        "project": "lucky-gas-sandbox",
        "endpoints": {"run": "http://127.0.0.1:9766", "secretmanager": "http://127.0.0.1:9766"},
    },
    "sandbox": {"postgres_port": 9432, "sql_proxy_host": "127.0.0.7", "cors_origins": ["https://app.example"]},
}


def test_ports_and_names_come_from_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LUCKY_TEST_ADMIN_PASSWORD", raising=False)
    settings = settings_from_plan(SANDBOX_PLAN)
    assert (settings.api_port, settings.google_port, settings.postgres_port) == (9765, 9766, 9432)
    assert settings.sql_proxy_host == "127.0.0.7"
    assert settings.cors_origins == ("http://localhost:5173", "https://app.example")
    assert settings.connection_name == "lucky-gas-sandbox:asia-east1:lucky-gas-db"
    admin = next(a for a in settings.accounts if a.username == "admin")
    assert (admin.role, admin.password) == (Role.ADMIN, "from-plan-default")
    maps_key = SeededSecret("projects/lucky-gas-sandbox/secrets/maps-api-key", "AIza-sandbox-key")
    assert settings.seeded_secrets == (maps_key,)


def test_a_secrets_env_var_wins_over_its_sandbox_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUCKY_TEST_ADMIN_PASSWORD", "from-env")
    admin = next(a for a in settings_from_plan(SANDBOX_PLAN).accounts if a.username == "admin")
    assert admin.password == "from-env"


def test_an_empty_plan_gives_the_defaults() -> None:
    settings = settings_from_plan({"name": "x"})
    assert settings == SandboxSettings()
    assert {a.role for a in settings.accounts} == set(Role)


def test_explicit_accounts_and_password_secrets() -> None:
    plan = {
        "secrets": {"ops_pw": {"env": "NOT_SET_ANYWHERE_42", "default_for_sandbox": "ops-secret"}},
        "sandbox": {"accounts": {"ops": {"role": "manager", "password_secret": "ops_pw"}, "driver": {}}},
    }
    accounts = {a.username: a for a in settings_from_plan(plan).accounts}
    assert (accounts["ops"].role, accounts["ops"].password) == (Role.MANAGER, "ops-secret")
    assert (accounts["driver"].role, accounts["driver"].password) == (Role.DRIVER, "driver-sandbox")


def test_a_file_secret_is_read_relative_to_the_plan(tmp_path: Path) -> None:
    (tmp_path / "db.pw").write_text("from-file\n")
    plan = {"secrets": {"db_password": {"file": "db.pw"}}}
    assert settings_from_plan(plan, base_dir=tmp_path).db_password == "from-file"


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"vars": {"backend_url": "https://api.luckygas.example"}}, "vars.backend_url"),
        ({"vars": {"backend_url": "http://10.0.0.5:8765"}}, "vars.backend_url"),
        ({"gcp": {"endpoints": {"run": "http://127.0.0.1:1", "iam": "http://127.0.0.1:2"}}}, "one port"),
        ({"sandbox": {"sql_proxy_host": "10.1.2.3"}}, "sandbox.sql_proxy_host"),
        ({"sandbox": {"postgres_port": 80}}, "sandbox.postgres_port"),
        ({"sandbox": {"accounts": {"x": {"role": "owner"}}}}, "sandbox.accounts.x.role"),
        ({"sandbox": {"jwt_secret": "short"}}, "sandbox.jwt_secret"),
        ({"sandbox": {"accounts": {"x": {"role": "admin", "password_secret": "nope"}}}}, "password_secret"),
        ({"vars": {"backend_url": "http://127.0.0.1:9000"}, "sandbox": {"postgres_port": 9000}}, "distinct ports"),
    ],
)
def test_plan_mistakes_are_plan_errors_naming_the_key(plan: dict[str, object], message: str) -> None:
    with pytest.raises(PlanError, match=message.replace(".", r"\.")) as caught:
        settings_from_plan(plan, source="plans/sandbox.yaml")
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith("plans/sandbox.yaml: ")


def test_a_seed_file_that_is_not_json_is_reported_with_its_line(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text('{"resources": {\n  "run.services": oops\n}}')
    with pytest.raises(PlanError) as caught:
        settings_from_plan({"sandbox": {"seed": "seed.json"}}, base_dir=tmp_path)
    assert str(caught.value).startswith(f"{seed}:2: ")


def test_settings_survive_their_json_round_trip(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text("{}")
    settings = settings_from_plan({**SANDBOX_PLAN, "sandbox": {"seed": str(seed)}})
    assert SandboxSettings.from_json(settings.to_json()) == settings
