"""Response plans: the template and the response an incident starts with (aws-behaviour §3.2)."""

from __future__ import annotations

import copy
from typing import Any

from incidentd.api.context import CallContext
from incidentd.api.incidents.common import PAGES, SERVICE, load_plan, plan_name_of
from incidentd.api.paging import next_token
from incidentd.api.registry import handles
from incidentd.channels.pagerduty import SecretError, find_secret
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError, validation_error
from incidentd.services import sharing
from incidentd.store import plans, policies, tags

_PLAN_MEMBERS = ("displayName", "incidentTemplate", "chatChannel", "engagements", "actions", "integrations")

# UpdateResponsePlan flattens the template into these members (model), each replacing one template field.
_TEMPLATE_UPDATES = {
    "incidentTemplateTitle": "title",
    "incidentTemplateImpact": "impact",
    "incidentTemplateSummary": "summary",
    "incidentTemplateDedupeString": "dedupeString",
    "incidentTemplateNotificationTargets": "notificationTargets",
    "incidentTemplateTags": "incidentTags",
}


@handles(SERVICE, "CreateResponsePlan")
def create_response_plan(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Store a plan under a name unique in the account."""
    name = params["name"]
    _check_secrets(ctx, params.get("integrations", []))
    arn = arns.response_plan(ctx.account_id, name)
    doc = {"arn": arn, "name": name, **{k: params[k] for k in _PLAN_MEMBERS if k in params}}
    if not plans.insert(ctx.conn, ctx.account_id, name, doc):
        raise ServiceError(
            "ConflictException",
            f"A response plan named {name} already exists.",
            resourceIdentifier=arn,
            resourceType="RESPONSE_PLAN",
        )
    tags.put(ctx.conn, ctx.account_id, arn, params.get("tags") or {})
    return {"arn": arn}


@handles(SERVICE, "GetResponsePlan", cacheable=True)
def get_response_plan(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The whole plan."""
    return load_plan(ctx, params["arn"])


@handles(SERVICE, "ListResponsePlans")
def list_response_plans(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Plan summaries in name order (ARN order among equal names): the account's own and those shared with the
    caller (aws-behaviour §3.10)."""
    position = PAGES.position(params, str, str)
    limit = PAGES.size(params)
    after = (position[0], position[1]) if position else None
    # Own names are unique, so at most one own plan shares the position's name: limit + 2 rows are enough.
    docs = [
        doc
        for doc in plans.page(ctx.conn, ctx.account_id, after[0] if after else None, limit + 2, inclusive=True)
        if after is None or (doc["name"], doc["arn"]) > after
    ]
    for owner, arn in sharing.shared_resources(
        ctx.conn, ctx.principal, "response-plan", "ssm-incidents:GetResponsePlan"
    ):
        doc = plans.get(ctx.conn, owner, arn.rsplit("/", 1)[1])
        if doc is not None and (after is None or (doc["name"], doc["arn"]) > after):
            docs.append(doc)
    docs.sort(key=lambda doc: (doc["name"], doc["arn"]))
    result: dict[str, Any] = {
        "responsePlanSummaries": [
            {"arn": d["arn"], "name": d["name"], "displayName": d.get("displayName")} for d in docs[:limit]
        ]
    }
    if len(docs) > limit:
        result["nextToken"] = next_token([docs[limit - 1]["name"], docs[limit - 1]["arn"]])
    return result


@handles(SERVICE, "UpdateResponsePlan")
def update_response_plan(ctx: CallContext, params: dict[str, Any]) -> None:
    """Change only the members the request carries; empty strings clear summary and dedupe string."""
    doc = copy.deepcopy(load_plan(ctx, params["arn"]))
    _check_secrets(ctx, params.get("integrations", []))
    for member in _PLAN_MEMBERS:
        if member in params:
            doc[member] = params[member]
    template = doc["incidentTemplate"]
    for member, field in _TEMPLATE_UPDATES.items():
        if member not in params:
            continue
        value = params[member]
        # Terraform clears optional fields with "" and CloudFormation with {} or []: store them as absent.
        if value in ("", {}, []) and field != "title":
            template.pop(field, None)
        else:
            template[field] = value
    plans.save(ctx.conn, ctx.account_id, doc["name"], doc)
    return None


@handles(SERVICE, "DeleteResponsePlan")
def delete_response_plan(ctx: CallContext, params: dict[str, Any]) -> None:
    """Delete a plan with its tags and policies; its incidents stay. A missing plan is not an error (model)."""
    name = plan_name_of(ctx, params["arn"])
    if name is None:
        return None
    arn = arns.response_plan(ctx.account_id, name)
    plans.delete(ctx.conn, ctx.account_id, name)
    tags.remove(ctx.conn, ctx.account_id, arn)
    policies.delete(ctx.conn, ctx.account_id, arn)
    sharing.unshare_plan(ctx, arn)
    return None


def _check_secrets(ctx: CallContext, integrations: list[dict[str, Any]]) -> None:
    """AWS checks a PagerDuty secretId against Secrets Manager; incidentd checks its [secrets] table, when it has one.

    A server with no [secrets] table at all takes any secretId, and reports an unknown one on the incident's
    timeline when it is used: plans can then be written before the secrets are configured.
    """
    secrets = ctx.settings.pagerduty.secrets
    if secrets is None:
        return
    for integration in integrations:
        config = integration.get("pagerDutyConfiguration")
        if config is None:
            continue
        try:
            find_secret(secrets, config["secretId"], ctx.account_id)
        except SecretError:
            # AWS's message for a secret it can't use (aws-behaviour §1.5).
            raise validation_error("We were unable to validate the AWS Secrets Manager secret") from None
