"""An escalation plan's page: its stages, each with a duration and targets chosen from the account's contacts and
on-call schedules, and per target whether its acknowledgement stops the plan (ContactTargetInfo.IsEssential).

The page is /console/contacts/{alias} (contacts_view finds the contact and hands escalation plans here); its form
posts to …/plan like a personal contact's, and contacts_view saves it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from incidentd.console import contact_forms as forms
from incidentd.console import oncall_data
from incidentd.console.app import PREFIX, Console
from incidentd.console.errors import FormErrors
from incidentd.console.sessions import SignedIn


def targets(console: Console, who: SignedIn, stages: list[forms.Stage]) -> list[dict[str, str]]:
    """What a stage may engage: the account's own personal contacts and on-call schedules (the API refuses other
    accounts' and other escalation plans), then anything a stage still names that is gone, so it can be taken out."""
    found = [
        contact
        for kind in (forms.PERSONAL, forms.SCHEDULE)
        for contact in oncall_data.contacts(console, who, kind)
        if contact["ContactArn"].split(":")[4] == who.account_id
    ]
    choices = [
        {
            "arn": contact["ContactArn"],
            "name": contact.get("DisplayName") or contact["Alias"],
            "kind": "on-call schedule" if contact["Type"] == forms.SCHEDULE else "contact",
        }
        for contact in found
    ]
    known = {choice["arn"] for choice in choices}
    for stage in stages:
        for target in stage.targets:
            if target.contact and target.contact not in known:
                choices.append({"arn": target.contact, "name": target.contact.rsplit("/", 1)[-1], "kind": "deleted"})
                known.add(target.contact)
    return choices


def show(
    console: Console,
    request: Request,
    who: SignedIn,
    contact: dict[str, Any],
    errors: dict[str, FormErrors],
    values: dict[str, str],
    stages: list[forms.Stage] | None,
    status: int,
) -> Response:
    """An escalation plan's page: the stages as stored, or as a form being edited left them."""
    stages = stages if stages is not None else forms.stages_of_plan(contact.get("Plan"))
    arn = contact["ContactArn"]
    context: dict[str, Any] = {
        "contact": contact,
        "path": f"{PREFIX}/contacts/{contact['Alias']}",
        "stages": stages,
        "choices": targets(console, who, stages),
        "errors": errors,
        "values": values,
        "can": {
            "change": who.may("ssm-contacts:UpdateContact", arn),
            "delete": who.may("ssm-contacts:DeleteContact", arn),
        },
    }
    return console.page(request, who, "escalation.html", status=status, **context)


def routes(console: Console) -> list[BaseRoute]:
    """None of its own: an escalation plan's page and form are under /contacts/{alias} (contacts_view)."""
    return []
