"""Cloud Billing stand-ins: Budgets v1 (budgets with threshold rules) and the project's billing info."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from luckyctl.sandbox.google_apis.errors import invalid
from luckyctl.sandbox.google_apis.standard_methods import Collection, add_collection
from luckyctl.sandbox.google_apis.state import SANDBOX_BILLING_ACCOUNT, ApiContext

BUDGETS = "billingbudgets.budgets"
SPEND_BASES = ("CURRENT_SPEND", "FORECASTED_SPEND")


def _valid_budget(_ctx: ApiContext, _name: str, budget: dict[str, Any]) -> dict[str, Any]:
    amount = budget.get("amount")
    if not isinstance(amount, dict) or not ({"specifiedAmount", "lastPeriodAmount"} & set(amount)):
        raise invalid("budget.amount is required: specifiedAmount or lastPeriodAmount")
    rules = budget.get("thresholdRules", [])
    for index, rule in enumerate(rules):
        percent = rule.get("thresholdPercent")
        if not isinstance(percent, int | float) or percent <= 0:
            raise invalid(f"budget.thresholdRules[{index}].thresholdPercent must be a number above 0")
        basis = rule.setdefault("spendBasis", "CURRENT_SPEND")
        if basis not in SPEND_BASES:
            raise invalid(f"budget.thresholdRules[{index}].spendBasis must be one of {SPEND_BASES}")
    budget.setdefault("budgetFilter", {}).setdefault("creditTypesTreatment", "INCLUDE_ALL_CREDITS")
    return budget


def router(ctx: ApiContext) -> APIRouter:
    api = APIRouter()
    add_collection(api, ctx, Collection(
        kind=BUDGETS, prefix="/v1", parent="billingAccounts/{billing_account}", segment="budgets",
        on_create=_valid_budget, on_update=_valid_budget,
    ))

    @api.get("/v1/projects/{project}/billingInfo")
    async def billing_info(project: str) -> dict[str, Any]:
        project = ctx.project(project)
        return {"name": f"projects/{project}/billingInfo", "projectId": project,
                "billingAccountName": f"billingAccounts/{SANDBOX_BILLING_ACCOUNT}", "billingEnabled": True}

    @api.get("/v1/billingAccounts/{billing_account}")
    async def billing_account(billing_account: str) -> dict[str, Any]:
        ctx.billing_account(billing_account)
        return {"name": f"billingAccounts/{billing_account}", "open": True,
                "displayName": "Lucky Gas sandbox billing", "masterBillingAccount": ""}

    return api
