"""The other Google stand-ins over real HTTP; tokens through the real google-auth library."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import google.auth.transport.requests
import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account

from luckyctl.sandbox.google_apis.secretmanager import crc32c
from luckyctl.sandbox.settings import SandboxSettings

PROJECT = "lucky-gas-sandbox"
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
BILLING = "billingAccounts/012345-6789AB-CDEF01"


@pytest.fixture
def api(google_url: str, bearer: dict[str, str]) -> httpx.Client:
    with httpx.Client(base_url=google_url, headers=bearer, timeout=10) as client:
        yield client


def refreshed(credentials: service_account.Credentials) -> service_account.Credentials:
    credentials.refresh(google.auth.transport.requests.Request())
    return credentials


def test_service_account_key_gives_tokens_through_google_auth(api: httpx.Client) -> None:
    account = api.post(f"/v1/projects/{PROJECT}/serviceAccounts",
                       json={"accountId": "lucky-gas-backend", "serviceAccount": {"displayName": "Backend"}}).json()
    assert account["email"] == f"lucky-gas-backend@{PROJECT}.iam.gserviceaccount.com"
    key = api.post(f"/v1/projects/{PROJECT}/serviceAccounts/{account['email']}/keys", json={}).json()
    info = json.loads(base64.b64decode(key["privateKeyData"]))
    assert info["token_uri"].endswith("/token")

    credentials = refreshed(service_account.Credentials.from_service_account_info(info, scopes=SCOPES))
    assert credentials.token.startswith("ya29.sandbox-") and credentials.valid

    forged = service_account.Credentials.from_service_account_info({**info, "private_key_id": "0" * 40}, scopes=SCOPES)
    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        refreshed(forged)
    user_keys = api.get(f"/v1/projects/{PROJECT}/serviceAccounts/{account['email']}/keys",
                        params={"keyTypes": "USER_MANAGED"}).json()["keys"]
    assert [k["name"] for k in user_keys] == [key["name"]]


def test_the_sandboxs_own_key_file_works_with_google_auth_default(
    sandbox: object, sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import google.auth

    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(sandbox_dir / "service-account.json"))
    credentials, project = google.auth.default(scopes=SCOPES)
    assert project == PROJECT
    credentials.refresh(google.auth.transport.requests.Request())
    assert credentials.token.startswith("ya29.sandbox-")


def test_refresh_token_grant(google_url: str) -> None:
    import google.oauth2.credentials

    user = google.oauth2.credentials.Credentials(
        token=None, refresh_token="1//sandbox", client_id="cid", client_secret="secret",
        token_uri=f"{google_url}/token")
    user.refresh(google.auth.transport.requests.Request())
    assert user.token.startswith("ya29.sandbox-")


def test_service_usage_enables_apis_and_caps_quotas(api: httpx.Client, sandbox_settings: SandboxSettings) -> None:
    assert api.get(f"/v1/projects/{PROJECT}/services/routes.googleapis.com").json()["state"] == "DISABLED"
    operation = api.post(f"/v1/projects/{PROJECT}/services:batchEnable",
                         json={"serviceIds": ["routes.googleapis.com", "aiplatform.googleapis.com"]}).json()
    assert operation["done"] is True
    enabled = api.get(f"/v1/projects/{PROJECT}/services", params={"filter": "state:ENABLED"}).json()["services"]
    assert {"routes.googleapis.com", "aiplatform.googleapis.com"} <= {s["config"]["name"] for s in enabled}

    metrics = api.get(f"/v1beta1/projects/{PROJECT}/services/routes.googleapis.com/consumerQuotaMetrics").json()
    limit = metrics["metrics"][0]["consumerQuotaLimits"][0]
    metric_id = "routes.googleapis.com%2Fcompute_route_requests"
    assert limit["name"].endswith(f"consumerQuotaMetrics/{metric_id}/limits/%2Fmin%2Fproject")
    assert api.post(f"/v1beta1/{limit['name']}/consumerOverrides", json={"overrideValue": "99999"}).status_code == 400
    override = api.post(f"/v1beta1/{limit['name']}/consumerOverrides", json={"overrideValue": "1000"}).json()
    assert override["response"]["overrideValue"] == "1000"
    metric = api.get(f"/v1beta1/{metrics['metrics'][0]['name']}").json()
    assert metric["consumerQuotaLimits"][0]["quotaBuckets"][0]["effectiveLimit"] == "1000"
    assert api.get(f"/v1/projects/{PROJECT}/services/not-an-api").status_code == 403


def test_secret_manager_versions_and_rotation(api: httpx.Client) -> None:
    base = f"/v1/projects/{PROJECT}/secrets"
    assert api.post(base, params={"secretId": "jwt-signing-key"}, json={}).status_code == 400  # replication
    assert api.post(base, params={"secretId": "jwt-signing-key"},
                    json={"replication": {"automatic": {}}}).status_code == 200
    for value in (b"first-key", b"second-key"):
        payload = {"data": base64.b64encode(value).decode(), "dataCrc32c": str(crc32c(value))}
        assert api.post(f"{base}/jwt-signing-key:addVersion", json={"payload": payload}).status_code == 200
    latest = api.get(f"{base}/jwt-signing-key/versions/latest:access").json()
    assert base64.b64decode(latest["payload"]["data"]) == b"second-key"
    assert latest["name"].endswith("/versions/2")
    disabled = api.post(f"{base}/jwt-signing-key/versions/1:disable").json()
    assert disabled["state"] == "DISABLED"
    refused = api.get(f"{base}/jwt-signing-key/versions/1:access")
    assert refused.status_code == 400 and refused.json()["error"]["status"] == "FAILED_PRECONDITION"
    bad_checksum = api.post(f"{base}/jwt-signing-key:addVersion",
                            json={"payload": {"data": base64.b64encode(b"x").decode(), "dataCrc32c": "1"}})
    assert bad_checksum.status_code == 400
    versions = api.get(f"{base}/jwt-signing-key/versions").json()
    assert [v["state"] for v in versions["versions"]] == ["ENABLED", "DISABLED"]


def test_plan_secrets_are_seeded(google_url: str, bearer: dict[str, str], tmp_path: Path) -> None:
    from luckyctl.sandbox.google_apis import create_app
    from luckyctl.sandbox.paths import SandboxPaths
    from luckyctl.sandbox.settings import SeededSecret

    settings = SandboxSettings(seeded_secrets=(SeededSecret(f"projects/{PROJECT}/secrets/maps-api-key", "AIza-x"),))
    app = create_app(settings, SandboxPaths(tmp_path))
    state = app.app.state.api.state  # the stand-in's state right after start-up
    versions = state.resources["secretmanager.versions"]
    assert base64.b64decode(next(iter(versions.values()))["_data"]) == b"AIza-x"


def test_project_iam_policy_with_etags(api: httpx.Client) -> None:
    policy = api.post(f"/v1/projects/{PROJECT}:getIamPolicy", json={}).json()
    member = f"serviceAccount:runner@{PROJECT}.iam.gserviceaccount.com"
    policy["bindings"] = [{"role": "roles/run.invoker", "members": [member]}]
    updated = api.post(f"/v1/projects/{PROJECT}:setIamPolicy", json={"policy": policy}).json()
    assert updated["etag"] != policy["etag"]
    stale = api.post(f"/v1/projects/{PROJECT}:setIamPolicy", json={"policy": policy})
    assert stale.status_code == 409 and stale.json()["error"]["status"] == "ABORTED"
    v3 = api.post(f"/v3/projects/{PROJECT}:getIamPolicy", json={}).json()
    assert v3["bindings"] == [{"role": "roles/run.invoker", "members": [member]}]
    bad = api.post(f"/v1/projects/{PROJECT}:setIamPolicy",
                   json={"policy": {"bindings": [{"role": "owner", "members": ["bob"]}]}})
    assert bad.status_code == 400


def test_budgets_with_threshold_rules(api: httpx.Client) -> None:
    assert api.post(f"/v1/{BILLING}/budgets", json={"displayName": "no amount"}).status_code == 400
    budget = api.post(f"/v1/{BILLING}/budgets", json={
        "displayName": "Lucky Gas monthly",
        "amount": {"specifiedAmount": {"currencyCode": "USD", "units": "500"}},
        "thresholdRules": [{"thresholdPercent": 0.5}, {"thresholdPercent": 1.0, "spendBasis": "FORECASTED_SPEND"}],
    }).json()
    assert budget["name"].startswith(f"{BILLING}/budgets/")
    assert [r["spendBasis"] for r in budget["thresholdRules"]] == ["CURRENT_SPEND", "FORECASTED_SPEND"]
    patched = api.patch(f"/v1/{budget['name']}", params={"updateMask": "amount"},
                        json={"amount": {"specifiedAmount": {"currencyCode": "USD", "units": "400"}}}).json()
    assert patched["amount"]["specifiedAmount"]["units"] == "400" and patched["displayName"] == "Lucky Gas monthly"
    assert budget["name"] in {b["name"] for b in api.get(f"/v1/{BILLING}/budgets").json()["budgets"]}
    assert api.get("/v1/billingAccounts/AAAAAA-BBBBBB-CCCCCC/budgets").status_code == 403


def test_monitoring_alerting_with_pagerduty(api: httpx.Client) -> None:
    base = f"/v3/projects/{PROJECT}"
    channel = api.post(f"{base}/notificationChannels", json={
        "type": "pagerduty", "displayName": "Lucky Gas on-call", "labels": {"service_key": "pd-secret-key"}}).json()
    assert channel["labels"]["service_key"] != "pd-secret-key"  # sensitive labels come back masked
    assert api.post(f"{base}/notificationChannels", json={"type": "pagerduty", "labels": {}}).status_code == 400
    api.post(f"{base}/notificationChannels", json={"type": "email", "labels": {"email_address": "oncall@x.test"}})
    paging = api.get(f"{base}/notificationChannels", params={"filter": 'type = "pagerduty"'}).json()
    assert {c["type"] for c in paging["notificationChannels"]} == {"pagerduty"}
    assert api.get(f"{base}/notificationChannels", params={"filter": "type:pagerduty"}).status_code == 400
    policy = api.post(f"{base}/alertPolicies", json={
        "displayName": "5xx rate", "combiner": "OR", "notificationChannels": [channel["name"]],
        "conditions": [{"displayName": "5xx > 1%", "conditionThreshold": {
            "filter": 'metric.type="run.googleapis.com/request_count"', "comparison": "COMPARISON_GT",
            "thresholdValue": 0.01, "duration": "300s"}}],
    }).json()
    assert policy["enabled"] is True and policy["conditions"][0]["name"].startswith(policy["name"])
    check = api.post(f"{base}/uptimeCheckConfigs", json={
        "displayName": "backend /health", "monitoredResource": {"type": "uptime_url", "labels": {"host": "x"}},
        "httpCheck": {"path": "/health", "port": 443, "useSsl": True}}).json()
    series = api.get(f"{base}/timeSeries", params={
        "filter": 'metric.type="monitoring.googleapis.com/uptime_check/check_passed"',
        "interval.startTime": "2026-12-07T00:00:00Z", "interval.endTime": "2026-12-07T00:09:00Z"}).json()
    mine = [s for s in series["timeSeries"] if s["metric"]["labels"]["check_id"] == check["name"].rsplit("/", 1)[1]]
    assert len(mine[0]["points"]) == 10 and all(p["value"]["boolValue"] for p in mine[0]["points"])
    api.post(f"{base}/services", params={"serviceId": "backend"}, json={"displayName": "backend", "custom": {}})
    slo = api.post(f"{base}/services/backend/serviceLevelObjectives", params={"serviceLevelObjectiveId": "uptime"},
                   json={"goal": 0.999, "rollingPeriod": "2592000s", "serviceLevelIndicator": {"requestBased": {}}})
    assert slo.status_code == 200
    assert api.post(f"{base}/services/backend/serviceLevelObjectives", params={"serviceLevelObjectiveId": "bad"},
                    json={"goal": 99.9, "rollingPeriod": "1s", "serviceLevelIndicator": {}}).status_code == 400
    listed = api.get(f"{base}/alertPolicies").json()
    assert listed["totalSize"] >= 1


def test_security_command_center_settings_and_findings(api: httpx.Client) -> None:
    sources = api.get(f"/v1/projects/{PROJECT}/sources").json()["sources"]
    assert "Security Health Analytics" in {s["displayName"] for s in sources}
    findings = api.get(f"/v1/projects/{PROJECT}/sources/-/findings",
                       params={"filter": 'state="ACTIVE" AND severity="CRITICAL"'}).json()
    assert findings["totalSize"] == 0
    setting = f"/v1beta2/projects/{PROJECT}/securityHealthAnalyticsSettings"
    assert api.get(setting).json()["serviceEnablementState"] == "INHERITED"
    api.patch(setting, params={"updateMask": "serviceEnablementState"}, json={"serviceEnablementState": "ENABLED"})
    assert api.get(setting).json()["serviceEnablementState"] == "ENABLED"


def test_errors_have_googles_shape(api: httpx.Client, google_url: str) -> None:
    missing = httpx.get(f"{google_url}/v1/projects/{PROJECT}/secrets")
    assert missing.status_code == 401
    assert missing.json()["error"] == {
        "code": 401, "status": "UNAUTHENTICATED", "message": missing.json()["error"]["message"]}
    assert missing.headers["x-luckyctl-sandbox"] == "1"
    unknown = api.get("/v1/no/such/route")
    assert unknown.status_code == 404 and unknown.json()["error"]["status"] == "NOT_FOUND"
    other_project = api.get("/v1/projects/not-ours/secrets")
    assert other_project.json()["error"]["status"] == "PERMISSION_DENIED"
    malformed = api.post(f"/v1/projects/{PROJECT}/secrets", params={"secretId": "x"}, content=b"{not json")
    assert malformed.status_code == 400 and "Invalid JSON payload" in malformed.json()["error"]["message"]


def test_state_survives_a_restart_of_the_stand_in(tmp_path: Path) -> None:
    from luckyctl.sandbox.google_apis import create_app
    from luckyctl.sandbox.paths import SandboxPaths

    paths = SandboxPaths(tmp_path)
    first = create_app(SandboxSettings(), paths).app.state.api.state
    first.put("secretmanager.secrets", "projects/p/secrets/s", {"name": "projects/p/secrets/s"})
    first.save()
    second = create_app(SandboxSettings(), paths).app.state.api.state
    assert second.find("secretmanager.secrets", "projects/p/secrets/s") is not None
    assert second.fresh is False


def test_crc32c_matches_the_standard_check_value() -> None:
    assert crc32c(b"123456789") == 0xE3069283
