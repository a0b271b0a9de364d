"""One incident: overview, timeline, engagements, runbook, related items and properties, and every action on it.

Reads and writes go through `Console.call`, so the role's policy decides and the API's handlers do the work; the
page of pages reads the store for what the API doesn't show (the escalation stage a page came from).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from incidentd.console import render
from incidentd.console.app import Console, reader, writer
from incidentd.console.errors import FormErrors
from incidentd.console.links import incident_arn, incident_path
from incidentd.console.sessions import SignedIn
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError
from incidentd.store import channels as channel_store
from incidentd.store import engagements as engagement_store

INCIDENTS, CONTACTS, SSM = "ssm-incidents", "ssm-contacts", "ssm"
TABS = ("overview", "timeline", "engagements", "runbook", "related", "properties")
TAB_NAMES = {
    "overview": "Overview",
    "timeline": "Timeline",
    "engagements": "Engagements",
    "runbook": "Runbook",
    "related": "Related items",
    "properties": "Properties",
}
EVENTS_PER_PAGE = 100  # the timeline tab's page of events, newest first; "Older events" goes on
WAITING = ("Waiting", "Pending")


def _arn(request: Request, who: SignedIn) -> str | None:
    return incident_arn(who.account_id, request.path_params["plan"], request.path_params["incident"])


def show(
    console: Console,
    request: Request,
    who: SignedIn,
    errors: dict[str, FormErrors] | None = None,
    values: dict[str, str] | None = None,
    tab: str | None = None,
) -> Response:
    """GET an incident's page, on the tab the query names (or, after a refused form, the form's tab)."""
    arn = _arn(request, who)
    try:
        if arn is None:
            raise ServiceError("ResourceNotFoundException", "There is no such incident.")
        record = console.call(who, INCIDENTS, "GetIncidentRecord", {"arn": arn})["incidentRecord"]
    except ServiceError as error:
        status = 403 if error.code == "AccessDeniedException" else 404
        return console.page(request, who, "not_found.html", status=status, message=error.message)
    tab = tab or request.query_params.get("tab", "overview")
    tab = tab if tab in TABS else "overview"
    context: dict[str, Any] = {"record": record, "tab": tab, "tabs": TAB_NAMES, "path": incident_path(arn)}
    # The plan an incident started from is named in its ARN: incident-record/<plan>/<id>.
    context["plan"] = arn.split("/")[1]
    context["errors"] = errors or {}
    context["values"] = values or {}
    context["can"] = _abilities(who, arn, record)
    loaders = {
        "overview": _overview,
        "timeline": _timeline,
        "engagements": _engagements,
        "runbook": _runbook,
        "related": _related,
        "properties": _properties,
    }
    context.update(loaders[tab](console, request, who, record))
    return console.page(request, who, "incident.html", status=400 if errors else 200, **context)


def _abilities(who: SignedIn, arn: str, record: dict[str, Any]) -> dict[str, bool]:
    """Which of the page's actions the role allows (invoke decides again when one is used)."""
    plan = arns.response_plan(who.account_id, arn.split("/")[1])
    return {
        "edit": who.may("ssm-incidents:UpdateIncidentRecord", arn),
        "note": who.may("ssm-incidents:CreateTimelineEvent", arn),
        "edit_event": who.may("ssm-incidents:UpdateTimelineEvent", arn),
        "delete_event": who.may("ssm-incidents:DeleteTimelineEvent", arn),
        "related": who.may("ssm-incidents:UpdateRelatedItems", arn),
        "acknowledge": who.may("ssm-contacts:AcceptPage"),
        "engage": who.may("ssm-contacts:StartEngagement"),
        "signal": who.may("ssm:SendAutomationSignal"),
        "plan": who.may("ssm-incidents:GetResponsePlan", plan),
    }


def _events(
    console: Console, who: SignedIn, arn: str, limit: int, event_type: str = "", token: str = ""
) -> tuple[list[dict[str, Any]], str]:
    """Up to `limit` of the incident's events, newest first, from a ListTimelineEvents token; and the next token."""
    params: dict[str, Any] = {"incidentRecordArn": arn, "sortBy": "EVENT_TIME", "sortOrder": "DESCENDING"}
    if event_type:
        params["filters"] = [{"key": "eventType", "condition": {"equals": {"stringValues": [event_type]}}}]
    if token:
        params["nextToken"] = token
    params["maxResults"] = limit
    answer = console.call(who, INCIDENTS, "ListTimelineEvents", params)
    return answer.get("eventSummaries", []), answer.get("nextToken", "")


def _with_data(console: Console, who: SignedIn, arn: str, summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events with their data (summaries lack it)."""
    return [
        console.call(who, INCIDENTS, "GetTimelineEvent", {"incidentRecordArn": arn, "eventId": s["eventId"]})["event"]
        for s in summaries
    ]


def _overview(console: Console, request: Request, who: SignedIn, record: dict[str, Any]) -> dict[str, Any]:
    arn = record["arn"]
    newest = _with_data(console, who, arn, _events(console, who, arn, 5)[0])
    return {"events": newest, "executions": _executions(console, who, record, only_waiting=True)}


def _timeline(console: Console, request: Request, who: SignedIn, record: dict[str, Any]) -> dict[str, Any]:
    event_type = request.query_params.get("type", "")[:100]
    token = request.query_params.get("from", "")[:2048]
    try:
        summaries, older = _events(console, who, record["arn"], EVENTS_PER_PAGE, event_type, token)
    except ServiceError:  # a token that isn't one (edited by hand): start from the newest
        summaries, older = _events(console, who, record["arn"], EVENTS_PER_PAGE, event_type)
    types = sorted({"Custom Event", "SSM Incident Record Update", "SSM Automation", event_type} - {""})
    events = _with_data(console, who, record["arn"], summaries)
    return {"events": events, "event_type": event_type, "types": types, "older": older, "newer": bool(token)}


def _engagements(console: Console, request: Request, who: SignedIn, record: dict[str, Any]) -> dict[str, Any]:
    arn = record["arn"]
    listed = console.call(who, CONTACTS, "ListEngagements", {"IncidentId": arn, "MaxResults": 100})
    found = []
    with console.db.read() as conn:
        for engagement in listed.get("Engagements", []):
            pages = engagement_store.list_pages(conn, who.account_id, engagement_arn=engagement["EngagementArn"])
            found.append({"engagement": engagement, "pages": [_page_view(conn, who, page) for page in pages]})
    contacts = console.call(who, CONTACTS, "ListContacts", {"MaxResults": 100}).get("Contacts", [])
    return {"engagements": found, "contacts": contacts}


def _page_view(conn: Any, who: SignedIn, page: dict[str, Any]) -> dict[str, Any]:
    path = page.get("path") or []
    stage = next((step.get("StageIndex") for step in path if "StageIndex" in step), None)
    receipts = engagement_store.receipts(conn, who.account_id, page["arn"])
    # The channels the page went out on, by the receipts that name one ("Dana's phone (SMS)").
    names: list[str] = []
    for arn in dict.fromkeys(r["channel_arn"] for r in receipts if r.get("channel_arn")):
        found = channel_store.get(conn, who.account_id, arn)
        if found is not None:
            names.append(f"{found.doc.get('Name', '')} ({found.doc.get('Type', '')})")
    return {"page": page, "stage": stage, "receipts": receipts, "channels": names}


def _executions(
    console: Console, who: SignedIn, record: dict[str, Any], only_waiting: bool = False
) -> list[dict[str, Any]]:
    found = []
    for execution in record.get("automationExecutions", []):
        execution_id = execution.get("ssmExecutionArn", "").rsplit("/", 1)[-1]
        if not execution_id:
            continue
        try:
            answer = console.call(who, SSM, "GetAutomationExecution", {"AutomationExecutionId": execution_id})
        except ServiceError:
            continue  # a runbook in another account, or one the role may not read
        run = answer["AutomationExecution"]
        steps = run.get("StepExecutions", [])
        waiting = [step for step in steps if step.get("StepStatus") in WAITING]
        if only_waiting and not (waiting or run.get("AutomationExecutionStatus") == "InProgress"):
            continue
        found.append({"run": run, "steps": steps, "waiting": waiting})
    return found


def _runbook(console: Console, request: Request, who: SignedIn, record: dict[str, Any]) -> dict[str, Any]:
    return {"executions": _executions(console, who, record)}


def _related(console: Console, request: Request, who: SignedIn, record: dict[str, Any]) -> dict[str, Any]:
    answer = console.call(who, INCIDENTS, "ListRelatedItems", {"incidentRecordArn": record["arn"], "maxResults": 100})
    return {"items": answer.get("relatedItems", [])}


def _properties(console: Console, request: Request, who: SignedIn, record: dict[str, Any]) -> dict[str, Any]:
    try:
        tags = console.call(who, INCIDENTS, "ListTagsForResource", {"resourceArn": record["arn"]}).get("tags", {})
    except ServiceError:
        tags = {}
    return {"tags": tags}


# The actions. Each runs one operation; on success the browser goes back to the tab it came from, on a refusal
# the tab shows again with the API's message beside the field it names.


def _act(
    console: Console,
    request: Request,
    who: SignedIn,
    form: dict[str, str],
    form_name: str,
    members: dict[str, str],
    run: Any,
) -> Response:
    arn = _arn(request, who)
    if arn is None:
        return console.page(request, who, "not_found.html", status=404, message="There is no such incident.")
    try:
        run(arn)
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        return show(console, request, who, {form_name: FormErrors.of(error, members)}, form, form.get("tab"))
    tab = form.get("tab", "overview")
    return RedirectResponse(f"{incident_path(arn)}?tab={tab if tab in TABS else 'overview'}", status_code=303)


def update(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/update: UpdateIncidentRecord with the edited title, impact and summary."""

    def run(arn: str) -> None:
        params: dict[str, Any] = {"arn": arn, "title": form.get("title", ""), "summary": form.get("summary", "")}
        impact = form.get("impact", "")
        params["impact"] = int(impact) if impact.isdigit() else impact
        console.call(who, INCIDENTS, "UpdateIncidentRecord", params)

    fields = {"title": "title", "impact": "impact", "summary": "summary"}
    return _act(console, request, who, form, "update", fields, run)


def resolve(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/resolve: UpdateIncidentRecord to RESOLVED."""
    run = lambda arn: console.call(who, INCIDENTS, "UpdateIncidentRecord", {"arn": arn, "status": "RESOLVED"})  # noqa: E731
    return _act(console, request, who, form, "resolve", {}, run)


def add_note(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/notes: a Custom Event whose data is the note and its author."""

    def run(arn: str) -> None:
        text = form.get("note", "").replace("\r\n", "\n").strip()
        if not text:
            raise ServiceError("ValidationException", "Value at 'note' must not be empty.")
        data = json.dumps({"content": text, "author": who.principal.arn}, ensure_ascii=False)
        params = {
            "incidentRecordArn": arn,
            "eventTime": console.clock.now_ms() / 1000,
            "eventType": "Custom Event",
            "eventData": data,
        }
        console.call(who, INCIDENTS, "CreateTimelineEvent", params)

    return _act(console, request, who, form, "note", {"note": "note", "eventData": "note"}, run)


def edit_event(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/events/{id}: UpdateTimelineEvent with new text; a note keeps the author it was written by."""

    def run(arn: str) -> None:
        text = form.get("note", "").replace("\r\n", "\n").strip()
        if not text:
            raise ServiceError("ValidationException", "Value at 'note' must not be empty.")
        event_id = request.path_params["event"]
        old = console.call(who, INCIDENTS, "GetTimelineEvent", {"incidentRecordArn": arn, "eventId": event_id})
        author = render.note_author(old["event"].get("eventData")) or who.principal.arn
        data = json.dumps({"content": text, "author": author}, ensure_ascii=False)
        params = {"incidentRecordArn": arn, "eventId": event_id, "eventData": data}
        console.call(who, INCIDENTS, "UpdateTimelineEvent", params)

    return _act(console, request, who, form, "edit_event", {"eventData": "note", "note": "note"}, run)


def delete_event(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/events/{id}/delete: DeleteTimelineEvent."""
    run = lambda arn: console.call(  # noqa: E731
        who, INCIDENTS, "DeleteTimelineEvent", {"incidentRecordArn": arn, "eventId": request.path_params["event"]}
    )
    return _act(console, request, who, form, "delete_event", {}, run)


def acknowledge(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/acknowledge: AcceptPage for the page of this incident that went out with the code."""

    def run(arn: str) -> None:
        code = form.get("accept_code", "").strip()
        now = console.clock.now_ms()
        if console.code_throttle.blocked(who.principal.arn, arn, now):
            raise ServiceError(
                "ValidationException",
                "Too many wrong codes for this incident: wait five minutes, or acknowledge from the phone or the "
                "mail the page went to.",
            )
        listed = console.call(who, CONTACTS, "ListEngagements", {"IncidentId": arn, "MaxResults": 100})
        engaged = [e["EngagementArn"] for e in listed.get("Engagements", [])]
        with console.db.read() as conn:
            page_arn = engagement_store.page_with_code(conn, who.account_id, engaged, code) if code else None
        if page_arn is None:
            console.code_throttle.failed(who.principal.arn, arn, now)
            raise ServiceError("ValidationException", "Value at 'AcceptCode' matches no page of this incident.")
        params = {
            "PageId": page_arn,
            "AcceptType": "READ",
            "AcceptCode": code,
            "Note": f"Acknowledged by {who.user_name}",
        }
        console.call(who, CONTACTS, "AcceptPage", params)

    return _act(console, request, who, form, "acknowledge", {"AcceptCode": "accept_code"}, run)


def engage(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/engage: StartEngagement of a contact of the account for this incident."""

    def run(arn: str) -> None:
        record = console.call(who, INCIDENTS, "GetIncidentRecord", {"arn": arn})["incidentRecord"]
        params = {
            "ContactId": form.get("contact", ""),
            "Sender": who.user_name,
            "Subject": record["title"][:2048],
            "Content": form.get("message", "").strip() or f"You are engaged in the incident {record['title']}.",
            "IncidentId": arn,
        }
        console.call(who, CONTACTS, "StartEngagement", params)

    return _act(console, request, who, form, "engage", {"ContactId": "contact", "Content": "message"}, run)


def signal(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/signal: SendAutomationSignal (Resume, Approve or Reject) to a waiting runbook step."""

    def run(arn: str) -> None:
        params: dict[str, Any] = {
            "AutomationExecutionId": form.get("execution", ""),
            "SignalType": form.get("signal", ""),
        }
        if form.get("step"):
            params["Payload"] = {"StepName": [form["step"]]}
        if form.get("comment", "").strip():
            params["Payload"] = {**params.get("Payload", {}), "Comment": [form["comment"].strip()]}
        console.call(who, SSM, "SendAutomationSignal", params)

    return _act(console, request, who, form, "signal", {"SignalType": "signal"}, run)


def add_related(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/related: UpdateRelatedItems adding a link (a URL) or a resource (an ARN)."""

    def run(arn: str) -> None:
        value = form.get("value", "").strip()
        kind = form.get("type", "other")
        identifier = {"type": kind, "value": {"arn": value} if value.startswith("arn:") else {"url": value}}
        item: dict[str, Any] = {"identifier": identifier}
        if form.get("title", "").strip():
            item["title"] = form["title"].strip()
        params = {"incidentRecordArn": arn, "relatedItemsUpdate": {"itemToAdd": item}}
        console.call(who, INCIDENTS, "UpdateRelatedItems", params)

    fields = {"url": "value", "arn": "value", "value": "value", "title": "title", "type": "type"}
    return _act(console, request, who, form, "related", fields, run)


def remove_related(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/related/remove: UpdateRelatedItems removing one item."""

    def run(arn: str) -> None:
        value = form.get("value", "")
        identifier = {
            "type": form.get("type", ""),
            "value": {"arn": value} if value.startswith("arn:") else {"url": value},
        }
        params = {"incidentRecordArn": arn, "relatedItemsUpdate": {"itemToRemove": identifier}}
        console.call(who, INCIDENTS, "UpdateRelatedItems", params)

    return _act(console, request, who, form, "related", {}, run)


def routes(console: Console) -> list[BaseRoute]:
    """An incident's endpoints."""
    base = "/incidents/{plan}/{incident}"
    posts = {
        "/update": update,
        "/resolve": resolve,
        "/notes": add_note,
        "/events/{event}": edit_event,
        "/events/{event}/delete": delete_event,
        "/acknowledge": acknowledge,
        "/engage": engage,
        "/signal": signal,
        "/related": add_related,
        "/related/remove": remove_related,
    }
    return [
        Route(base, reader(console, show), methods=["GET"]),
        *(Route(base + path, writer(console, handler), methods=["POST"]) for path, handler in posts.items()),
    ]
