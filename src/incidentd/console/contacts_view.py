"""Contacts: the list, a new contact, a personal contact's channels (adding, editing, activating them) and its
engagement plan, and deleting a contact. An escalation plan's page is escalation_view's; both live under
/console/contacts/{alias}, as the API names both contacts.

Every write is one ssm-contacts operation through `Console.call`; a refusal shows the form again with the API's
message beside the field it names (status 400) and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from incidentd.console import contact_forms as forms
from incidentd.console import escalation_view, oncall_data
from incidentd.console.app import PREFIX, Console, reader, writer
from incidentd.console.errors import FormErrors
from incidentd.console.sessions import SignedIn
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError

CONTACTS = "ssm-contacts"
_CHANNEL_ID = re.compile(r"^[A-Za-z0-9-]{1,100}$")
KIND_NAMES = {forms.PERSONAL: "contact", forms.ESCALATION: "escalation plan"}


def contact_path(alias: str) -> str:
    """The console page of a contact or escalation plan of the viewer's account."""
    return f"{PREFIX}/contacts/{alias}"


def _contact_arn(console: Console, who: SignedIn, request: Request) -> str | None:
    alias = request.path_params["alias"]
    return arns.contact(console.settings.region, who.account_id, alias) if forms.ALIAS.match(alias) else None


def _channel_arn(console: Console, who: SignedIn, request: Request) -> str | None:
    alias, channel_id = request.path_params["alias"], request.path_params["channel"]
    if not (forms.ALIAS.match(alias) and _CHANNEL_ID.match(channel_id)):
        return None
    return arns.contact_channel(console.settings.region, who.account_id, alias, channel_id)


def _status(error: ServiceError) -> int:
    return 403 if error.code == "AccessDeniedException" else 404


def _not_found(
    console: Console, request: Request, who: SignedIn, message: str = "There is no such contact."
) -> Response:
    return console.page(request, who, "not_found.html", status=404, message=message)


# --- The list and a new contact -------------------------------------------------------------------------------


def contact_list(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/contacts: the account's personal contacts and escalation plans."""
    try:
        personal = oncall_data.contacts(console, who, forms.PERSONAL)
        escalation = oncall_data.contacts(console, who, forms.ESCALATION)
    except ServiceError as error:
        return console.page(request, who, "not_found.html", status=_status(error), message=error.message)
    return console.page(
        request,
        who,
        "contacts.html",
        personal=personal,
        escalation=escalation,
        can_create=who.may("ssm-contacts:CreateContact"),
        can_check=who.may("ssm-contacts:ListContacts"),
    )


def _kind(value: str) -> str:
    return value if value in KIND_NAMES else forms.PERSONAL


def new_contact(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/contacts/new?type=PERSONAL|ESCALATION: the form for a new contact or escalation plan."""
    kind = _kind(request.query_params.get("type", ""))
    if not who.may("ssm-contacts:CreateContact"):
        return console.refused(request, who, f"Creating an {KIND_NAMES[kind]} needs ssm-contacts:CreateContact.")
    return console.page(request, who, "contact_new.html", kind=kind, kind_name=KIND_NAMES[kind], errors=None, values={})


def create_contact(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/contacts/new: CreateContact, then the new contact's page (where its plan is edited)."""
    kind = _kind(form.get("type", ""))
    params = forms.new_contact_params(form, kind)
    try:
        console.call(who, CONTACTS, "CreateContact", params)
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        errors = FormErrors.of(error, forms.CONTACT_FIELDS)
        if error.code == "ConflictException":
            errors = FormErrors(fields={"alias": error.message})
        context = {"kind": kind, "kind_name": KIND_NAMES[kind], "errors": errors, "values": form}
        return console.page(request, who, "contact_new.html", status=400, **context)
    return RedirectResponse(contact_path(params["Alias"]), status_code=303)


# --- A contact's page -----------------------------------------------------------------------------------------


def show(
    console: Console,
    request: Request,
    who: SignedIn,
    errors: dict[str, FormErrors] | None = None,
    values: dict[str, str] | None = None,
    stages: list[forms.Stage] | None = None,
) -> Response:
    """GET /console/contacts/{alias}: a personal contact, or an escalation plan (escalation_view's page)."""
    arn = _contact_arn(console, who, request)
    if arn is None:
        return _not_found(console, request, who)
    try:
        contact = console.call(who, CONTACTS, "GetContact", {"ContactId": arn})
    except ServiceError as error:
        return console.page(request, who, "not_found.html", status=_status(error), message=error.message)
    status = 400 if errors else 200
    if contact["Type"] == forms.ESCALATION:
        return escalation_view.show(console, request, who, contact, errors or {}, values or {}, stages, status)
    if contact["Type"] != forms.PERSONAL:
        # An on-call schedule's page is the calendar under On call.
        return RedirectResponse(f"{PREFIX}/on-call/schedules/{quote(contact['Alias'])}", status_code=303)
    channels = oncall_data.every(console, who, "ListContactChannels", {"ContactId": arn}, "ContactChannels")
    stages = stages if stages is not None else forms.stages_of_plan(contact.get("Plan"))
    rows = forms.channel_rows(channels, stages)
    by_arn = {channel["ContactChannelArn"]: channel for channel in channels}
    context: dict[str, Any] = {
        "contact": contact,
        "path": contact_path(contact["Alias"]),
        "channels": [dict(channel, id=channel["ContactChannelArn"].rsplit("/", 1)[-1]) for channel in channels],
        "rows": [(arn, by_arn.get(arn)) for arn in rows],
        "stages": stages,
        "errors": errors or {},
        "values": values or {},
        "sent": request.query_params.get("sent", ""),
        "can": _abilities(who, arn),
        "channel_types": forms.CHANNEL_TYPES,
    }
    return console.page(request, who, "contact.html", status=status, **context)


def _abilities(who: SignedIn, arn: str) -> dict[str, bool]:
    """Which of the page's actions the role allows (invoke decides again when one is used)."""
    channels = arn.replace(":contact/", ":contact-channel/") + "/*"
    return {
        "change": who.may("ssm-contacts:UpdateContact", arn),
        "delete": who.may("ssm-contacts:DeleteContact", arn),
        "add_channel": who.may("ssm-contacts:CreateContactChannel", arn),
        "edit_channel": who.may("ssm-contacts:UpdateContactChannel", channels),
        "delete_channel": who.may("ssm-contacts:DeleteContactChannel", channels),
        "send_code": who.may("ssm-contacts:SendActivationCode", channels),
        "activate": who.may("ssm-contacts:ActivateContactChannel", channels),
        "deactivate": who.may("ssm-contacts:DeactivateContactChannel", channels),
    }


def _act(
    console: Console,
    request: Request,
    who: SignedIn,
    form: dict[str, str],
    run: Callable[[], object],
    form_name: str,
    errors_of: Callable[[ServiceError], FormErrors],
    done: str = "",
) -> Response:
    """Run one operation; back to the contact's page (at `done`), or the page again with the API's refusal."""
    try:
        run()
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        if error.code == "ResourceNotFoundException":
            return _not_found(console, request, who, error.message)
        return show(console, request, who, {form_name: errors_of(error)}, form)
    return RedirectResponse(contact_path(request.path_params["alias"]) + done, status_code=303)


def save_plan(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/plan: "Save" stores the stages with UpdateContact; the other buttons change the form, saving nothing."""
    arn = _contact_arn(console, who, request)
    if arn is None:
        return _not_found(console, request, who)
    stages = forms.stages_of_form(form)
    changed = forms.change(stages, form.get("action", "save"))
    if changed is not None:
        return show(console, request, who, values=form, stages=changed)
    try:
        console.call(who, CONTACTS, "UpdateContact", {"ContactId": arn, "Plan": forms.plan_of(stages)})
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        errors = forms.plan_errors(error, stages, _posted_rows(form))
        return show(console, request, who, {"plan": errors}, form, stages)
    return RedirectResponse(contact_path(request.path_params["alias"]) + "#plan", status_code=303)


def _posted_rows(form: dict[str, str]) -> list[str]:
    """The channel ARNs by the row number the posted form gave them (stage-<i>-channel-<row>)."""
    rows: dict[int, str] = {}
    for name, value in form.items():
        found = re.match(r"^stage-\d+-channel-(\d+)$", name)
        if found and value:
            rows[int(found[1])] = value
    return [rows.get(row, "") for row in range(max(rows, default=-1) + 1)]


def rename(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/display-name: UpdateContact with a new display name."""
    arn = _contact_arn(console, who, request)
    if arn is None:
        return _not_found(console, request, who)
    params = {"ContactId": arn, "DisplayName": form.get("display_name", "").strip()}
    run = lambda: console.call(who, CONTACTS, "UpdateContact", params)  # noqa: E731
    return _act(console, request, who, form, run, "display-name", lambda e: FormErrors.of(e, forms.CONTACT_FIELDS))


# --- Channels -------------------------------------------------------------------------------------------------


def add_channel(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/channels: CreateContactChannel (which sends the activation code unless deferred)."""
    arn = _contact_arn(console, who, request)
    if arn is None:
        return _not_found(console, request, who)
    params = forms.new_channel_params(form, arn)
    run = lambda: console.call(who, CONTACTS, "CreateContactChannel", params)  # noqa: E731
    return _act(console, request, who, form, run, "new-channel", forms.channel_errors, "#channels")


def _channel_action(
    name: str, form_name: str, params_of: Callable[[str, str, dict[str, str]], dict[str, Any]], done: str = ""
) -> Callable[[Console, Request, SignedIn, dict[str, str]], Response]:
    """A POST handler running one channel operation with the parameters params_of(channel ARN, id, form) makes."""

    def handler(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
        channel_arn = _channel_arn(console, who, request)
        if channel_arn is None:
            return _not_found(console, request, who, "There is no such contact channel.")
        channel_id = request.path_params["channel"]
        params = params_of(channel_arn, channel_id, form)
        run = lambda: console.call(who, CONTACTS, name, params)  # noqa: E731
        errors_of = lambda error: forms.channel_errors(error, channel_id)  # noqa: E731
        if name == "ActivateContactChannel":
            errors_of = lambda error: FormErrors(fields={f"code-{channel_id}": error.message})  # noqa: E731
        where = done.format(id=channel_id) or f"#channel-{channel_id}"
        return _act(console, request, who, form, run, f"{form_name}-{channel_id}", errors_of, where)

    handler.__doc__ = f"POST …/channels/{{channel}}: {name}."
    return handler


update_channel = _channel_action(
    "UpdateContactChannel", "edit", lambda arn, cid, form: forms.channel_update_params(form, arn, cid)
)
delete_channel = _channel_action(
    "DeleteContactChannel", "delete", lambda arn, cid, form: {"ContactChannelId": arn}, "#channels"
)
send_code = _channel_action(
    "SendActivationCode", "send", lambda arn, cid, form: {"ContactChannelId": arn}, "?sent={id}#channel-{id}"
)
activate = _channel_action(
    "ActivateContactChannel",
    "activate",
    lambda arn, cid, form: {"ContactChannelId": arn, "ActivationCode": form.get(f"code-{cid}", "").strip()},
)
deactivate = _channel_action("DeactivateContactChannel", "deactivate", lambda arn, cid, form: {"ContactChannelId": arn})


# --- Deleting a contact ---------------------------------------------------------------------------------------


def confirm_delete(console: Console, request: Request, who: SignedIn, errors: FormErrors | None = None) -> Response:
    """GET …/delete: the confirmation, naming the contact and what goes with it."""
    arn = _contact_arn(console, who, request)
    if arn is None:
        return _not_found(console, request, who)
    try:
        contact = console.call(who, CONTACTS, "GetContact", {"ContactId": arn})
    except ServiceError as error:
        return console.page(request, who, "not_found.html", status=_status(error), message=error.message)
    if not who.may("ssm-contacts:DeleteContact", arn):
        return console.refused(request, who, "Deleting a contact needs ssm-contacts:DeleteContact.")
    context = {"contact": contact, "path": contact_path(contact["Alias"]), "errors": errors}
    return console.page(request, who, "contact_delete.html", status=400 if errors else 200, **context)


def delete(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/delete: DeleteContact, then the list."""
    arn = _contact_arn(console, who, request)
    if arn is None:
        return _not_found(console, request, who)
    try:
        console.call(who, CONTACTS, "DeleteContact", {"ContactId": arn})
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        if error.code == "ResourceNotFoundException":
            return _not_found(console, request, who, error.message)
        return confirm_delete(console, request, who, FormErrors(form=error.message))
    return RedirectResponse(f"{PREFIX}/contacts", status_code=303)


def routes(console: Console) -> list[BaseRoute]:
    """The contacts' endpoints (/contacts/new before a contact's own /contacts/{alias})."""
    contact = "/contacts/{alias}"
    channel = contact + "/channels/{channel}"
    posts: dict[str, Any] = {
        contact + "/plan": save_plan,
        contact + "/display-name": rename,
        contact + "/channels": add_channel,
        channel: update_channel,
        channel + "/delete": delete_channel,
        channel + "/send-code": send_code,
        channel + "/activate": activate,
        channel + "/deactivate": deactivate,
        contact + "/delete": delete,
    }
    return [
        Route("/contacts", reader(console, contact_list), methods=["GET"]),
        Route("/contacts/new", reader(console, new_contact), methods=["GET"]),
        Route("/contacts/new", writer(console, create_contact), methods=["POST"]),
        Route(contact, reader(console, show), methods=["GET"]),
        Route(contact + "/delete", reader(console, confirm_delete), methods=["GET"]),
        *(Route(path, writer(console, handler), methods=["POST"]) for path, handler in posts.items()),
    ]
