"""Response plans: the list, and one plan in readable sections (with its whole content as CreateResponsePlan would
take it). The form that writes them is plan_form_view."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from incidentd.console import oncall_data
from incidentd.console.app import Console, reader
from incidentd.console.sessions import SignedIn
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError

MAX_PLANS = 1000


def plans(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/plans: every response plan of the account (the first thousand)."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"maxResults": 100}
    try:
        while len(found) < MAX_PLANS:
            answer = console.call(who, "ssm-incidents", "ListResponsePlans", params)
            found += answer.get("responsePlanSummaries", [])
            if not answer.get("nextToken"):
                break
            params["nextToken"] = answer["nextToken"]
    except ServiceError as error:
        return console.page(request, who, "not_found.html", status=_status(error), message=error.message)
    return console.page(request, who, "plans.html", plans=found)


def plan(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/plans/{name}: one plan."""
    arn = arns.response_plan(who.account_id, request.path_params["name"])
    try:
        found = console.call(who, "ssm-incidents", "GetResponsePlan", {"arn": arn})
    except ServiceError as error:
        return console.page(request, who, "not_found.html", status=_status(error), message=error.message)
    content = {key: value for key, value in found.items() if key != "arn"}
    return console.page(
        request, who, "plan.html", plan=found, content=content, arn=arn, names=_contact_names(console, who, found)
    )


def _contact_names(console: Console, who: SignedIn, found: dict[str, Any]) -> dict[str, str]:
    """The names of the account's contacts, to show a plan's engagements by name (none when it has none)."""
    if not found.get("engagements"):
        return {}
    try:
        return oncall_data.names(oncall_data.contacts(console, who))
    except ServiceError:
        return {}  # not allowed to list contacts: the engagements show as their aliases


def _status(error: ServiceError) -> int:
    return 403 if error.code == "AccessDeniedException" else 404


def routes(console: Console) -> list[BaseRoute]:
    """The plans' endpoints."""
    return [
        Route("/plans", reader(console, plans), methods=["GET"]),
        Route("/plans/{name}", reader(console, plan), methods=["GET"]),
    ]
