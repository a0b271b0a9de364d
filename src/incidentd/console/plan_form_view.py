"""Creating, editing and deleting a response plan with a form: CreateResponsePlan, UpdateResponsePlan and
DeleteResponsePlan as the signed-in person, with the API's refusals beside the fields."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from incidentd.console import oncall_data
from incidentd.console.app import PREFIX, Console, PostedForm, reader, writer
from incidentd.console.errors import FormErrors
from incidentd.console.plan_form import (
    CHOICE_FIELDS,
    TARGET_ACCOUNTS,
    TEXT_FIELDS,
    FieldError,
    PlanFields,
    create_params,
    errors_of,
    field_error,
    fields_of,
    update_params,
)
from incidentd.console.sessions import SignedIn
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError

SERVICE = "ssm-incidents"
_CONTACT_GROUPS = (
    ("PERSONAL", "Contacts"),
    ("ESCALATION", "Escalation plans"),
    ("ONCALL_SCHEDULE", "On-call schedules"),
)


@dataclass(frozen=True)
class Choice:
    """One option of a multiple select: the value sent and the text shown."""

    value: str
    text: str


# -- Create -------------------------------------------------------------------------------------------------------


def new_form(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/plans/new: an empty plan form."""
    if not who.may("ssm-incidents:CreateResponsePlan"):
        return console.refused(request, who, "Your role may not create response plans.")
    return _form_page(console, request, who, PlanFields({"clientToken": str(uuid.uuid4())}), creating=True)


def create(console: Console, request: Request, who: SignedIn, form: PostedForm) -> Response:
    """POST /console/plans/new: CreateResponsePlan, then the new plan's page."""
    fields = _posted(form)
    try:
        params = create_params(fields)
        console.call(who, SERVICE, "CreateResponsePlan", params)
    except FieldError as error:
        return _form_page(console, request, who, fields, creating=True, errors=field_error(error))
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        return _form_page(console, request, who, fields, creating=True, errors=errors_of(error))
    return RedirectResponse(_plan_path(params["name"]), status_code=303)


# -- Edit ---------------------------------------------------------------------------------------------------------


def edit_form(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/plans/{name}/edit: the form filled with the plan."""
    arn = arns.response_plan(who.account_id, request.path_params["name"])
    if not who.may("ssm-incidents:UpdateResponsePlan", arn):
        return console.refused(request, who, "Your role may not change response plans.")
    try:
        current = console.call(who, SERVICE, "GetResponsePlan", {"arn": arn})
    except ServiceError as error:
        return _missing(console, request, who, error)
    return _form_page(console, request, who, fields_of(current), creating=False)


def update(console: Console, request: Request, who: SignedIn, form: PostedForm) -> Response:
    """POST /console/plans/{name}/edit: UpdateResponsePlan with the members the form changed, then the plan's page."""
    name = request.path_params["name"]
    arn = arns.response_plan(who.account_id, name)
    fields = _posted(form)
    fields.text["name"] = name  # the name is the plan's identity: it can't change
    try:
        current = console.call(who, SERVICE, "GetResponsePlan", {"arn": arn})
        params = update_params(arn, current, fields)
        if len(params) > 1:  # the arn alone: nothing changed, nothing to write
            console.call(who, SERVICE, "UpdateResponsePlan", params)
    except FieldError as error:
        return _form_page(console, request, who, fields, creating=False, errors=field_error(error))
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        if error.code == "ResourceNotFoundException":
            return _missing(console, request, who, error)
        return _form_page(console, request, who, fields, creating=False, errors=errors_of(error))
    return RedirectResponse(_plan_path(name), status_code=303)


# -- Delete -------------------------------------------------------------------------------------------------------


def delete_form(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/plans/{name}/delete: the confirmation, naming the plan."""
    name = request.path_params["name"]
    arn = arns.response_plan(who.account_id, name)
    if not who.may("ssm-incidents:DeleteResponsePlan", arn):
        return console.refused(request, who, "Your role may not delete response plans.")
    try:
        plan = console.call(who, SERVICE, "GetResponsePlan", {"arn": arn})
    except ServiceError as error:
        return _missing(console, request, who, error)
    return console.page(request, who, "plan_delete.html", plan=plan, errors=FormErrors())


def delete(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/plans/{name}/delete: DeleteResponsePlan, then the list."""
    arn = arns.response_plan(who.account_id, request.path_params["name"])
    try:
        console.call(who, SERVICE, "DeleteResponsePlan", {"arn": arn})
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        plan = {"name": request.path_params["name"]}
        return console.page(
            request, who, "plan_delete.html", status=400, plan=plan, errors=FormErrors(form=error.message)
        )
    return RedirectResponse(f"{PREFIX}/plans", status_code=303)


# -- The form page ------------------------------------------------------------------------------------------------


def _form_page(
    console: Console,
    request: Request,
    who: SignedIn,
    fields: PlanFields,
    creating: bool,
    errors: FormErrors | None = None,
) -> Response:
    """The form, with the choices the account offers and the values already chosen."""
    name = fields.get("name")
    return console.page(
        request,
        who,
        "plan_form.html",
        status=400 if errors else 200,
        fields=fields,
        errors=errors or FormErrors(),
        creating=creating,
        action=f"{PREFIX}/plans/new" if creating else f"{_plan_path(name)}/edit",
        cancel=f"{PREFIX}/plans" if creating else _plan_path(name),
        topics=_topic_choices(console, who, fields.values("notificationTargets")),
        account_topics=[choice.value for choice in _topic_choices(console, who, [])],
        engagement_groups=_engagement_groups(console, who, fields.values("engagements")),
        target_accounts=TARGET_ACCOUNTS,
    )


def _topic_choices(console: Console, who: SignedIn, chosen: list[str]) -> list[Choice]:
    """The configured SNS topics of the person's account (only those deliver its notices), and any already chosen."""
    configured = [arn for arn in console.settings.notifications.topics if _account_of(arn) == who.account_id]
    return [Choice(arn, arn) for arn in dict.fromkeys([*configured, *chosen])]


def _engagement_groups(console: Console, who: SignedIn, chosen: list[str]) -> list[tuple[str, list[Choice]]]:
    """The account's contacts, escalation plans and on-call schedules by name; chosen ARNs it doesn't list, too."""
    try:
        contacts = oncall_data.contacts(console, who)
    except ServiceError:
        contacts = []  # not allowed to list them: only the plan's own engagements can be shown
    known = oncall_data.names(contacts)
    counts = Counter(known.values())
    groups: list[tuple[str, list[Choice]]] = []
    for kind, heading in _CONTACT_GROUPS:
        choices = []
        for contact in (c for c in contacts if c.get("Type") == kind):
            name = known[contact["ContactArn"]]
            # By the name people know it by; with the alias too when another contact has the same name.
            text = f"{name} ({contact['Alias']})" if counts[name] > 1 else name
            choices.append(Choice(contact["ContactArn"], text))
        if choices:
            groups.append((heading, sorted(choices, key=lambda choice: choice.text.casefold())))
    others = [Choice(arn, arn) for arn in dict.fromkeys(chosen) if arn not in known]
    if others:
        groups.append(("Other ARNs on this plan", others))
    return groups


def _account_of(arn: str) -> str | None:
    parsed = arns.parse(arn)
    return parsed.account if parsed else None


def _posted(form: PostedForm) -> PlanFields:
    """The posted form as fields, with every chosen value of the multiple selects."""
    chosen = {name: form.getlist(name) for name in CHOICE_FIELDS}
    return PlanFields({name: form.get(name, "") for name in TEXT_FIELDS}, chosen)


def _missing(console: Console, request: Request, who: SignedIn, error: ServiceError) -> Response:
    status = 403 if error.code == "AccessDeniedException" else 404
    return console.page(request, who, "not_found.html", status=status, message=error.message)


def _plan_path(name: str) -> str:
    return f"{PREFIX}/plans/{quote(name, safe='')}"


def routes(console: Console) -> list[BaseRoute]:
    """The plan form's endpoints (before /plans/{name}, so that /plans/new is the form)."""
    return [
        Route("/plans/new", reader(console, new_form), methods=["GET"]),
        Route("/plans/new", writer(console, create), methods=["POST"]),
        Route("/plans/{name}/edit", reader(console, edit_form), methods=["GET"]),
        Route("/plans/{name}/edit", writer(console, update), methods=["POST"]),
        Route("/plans/{name}/delete", reader(console, delete_form), methods=["GET"]),
        Route("/plans/{name}/delete", writer(console, delete), methods=["POST"]),
    ]
