"""The incident list (the console's home): filters, a title search, keyset pages, a refresh every 10 s (of the rows
only); the person's own next shifts ("My shifts"); and "Start incident"."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from incidentd.console import my_shifts
from incidentd.console.app import Console, reader, writer
from incidentd.console.errors import FormErrors
from incidentd.console.links import PREFIX, incident_path, plan_name
from incidentd.console.sessions import SignedIn
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError
from incidentd.store import engagements, incidents

PAGE_SIZE = 50
RANGES = {"24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000, "90d": 90 * 86_400_000}
STATUSES = ("OPEN", "RESOLVED")
ANY_TIME = "all"
SEARCH_RANGE = "90d"


@dataclass(frozen=True)
class Filters:
    """What the reader asked the list for, read from the query string; anything unusable is left out."""

    status: str  # OPEN, RESOLVED or "" for both
    impacts: tuple[int, ...]
    plan: str
    range: str  # a key of RANGES, or ANY_TIME
    search: str
    after: tuple[int, str] | None

    @classmethod
    def of(cls, request: Request) -> Filters:
        """The filters of a request."""
        query = request.query_params
        status = query.get("status", "OPEN")
        impacts = tuple(sorted({int(v) for v in query.getlist("impact") if v in ("1", "2", "3", "4", "5")}))
        return cls(
            status=status if status in STATUSES else "",
            impacts=impacts,
            plan=query.get("plan", "")[:200],
            range=_range(query.get("range", ""), query.get("q", "").strip()),
            search=query.get("q", "").strip()[:200],
            after=_decode(query.get("after", "")),
        )

    def params(self, **changes: Any) -> str:
        """The query string of these filters, with some changed ("" drops one)."""
        values: dict[str, Any] = {
            "status": self.status or "ALL",
            "impact": list(self.impacts),
            "plan": self.plan,
            "range": self.range,
            "q": self.search,
            "after": _encode(self.after) if self.after else "",
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", [])}, doseq=True)


def _range(chosen: str, search: str) -> str:
    """The time range asked for; a search without one looks at the last 90 days (a title search of every incident
    reads every row of the account: at a million incidents that is half a second)."""
    if chosen in RANGES or chosen == ANY_TIME:
        return chosen
    return SEARCH_RANGE if search else ANY_TIME


def _encode(position: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}:{position[1]}".encode()).decode()


def _decode(token: str) -> tuple[int, str] | None:
    """A page's starting position; None for a token that isn't one (the list starts from the newest)."""
    try:
        ms, arn = base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)
        return int(ms), arn
    except (ValueError, UnicodeDecodeError):
        return None


def query_for(filters: Filters, now_ms: int) -> incidents.IncidentQuery:
    """The store's query for the list's filters."""
    query = incidents.IncidentQuery(statuses=[filters.status] if filters.status else [], impacts=list(filters.impacts))
    if filters.plan:
        query.plan_name = filters.plan
    if filters.range in RANGES:
        query.created_after_ms = now_ms - RANGES[filters.range]
    if filters.search:
        query.title_contains = filters.search
    return query


def rows(console: Console, who: SignedIn, filters: Filters) -> dict[str, Any]:
    """One page of incidents with their engagement counts, and where the next page starts."""
    query = query_for(filters, console.clock.now_ms())
    with console.db.read() as conn:
        found = incidents.page(conn, who.account_id, query, filters.after, PAGE_SIZE + 1)
        shown = found[:PAGE_SIZE]
        counts = engagements.counts_by_incident(conn, who.account_id, [arn for _, arn, _ in shown])
    items = [
        {"doc": doc, "path": incident_path(arn), "plan": plan_name(arn.rsplit("/", 1)[0]), "engaged": counts.get(arn)}
        for _, arn, doc in shown
    ]
    more = len(found) > PAGE_SIZE
    return {
        "items": items,
        "next": filters.params(after=_encode(shown[-1][:2])) if more and shown else None,
        "first": filters.params(after="") if filters.after else None,
    }


def list_page(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/: the incidents of the account."""
    if not who.may("ssm-incidents:ListIncidentRecords"):
        return console.refused(request, who)
    filters = Filters.of(request)
    return console.page(
        request,
        who,
        "incidents.html",
        filters=filters,
        plans=plan_names(console, who),
        ranges=RANGES,
        my_shifts=my_shifts.panel(console, who),
        **rows(console, who, filters),
    )


def list_rows(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/incidents/rows: the list's rows alone, for the refresh."""
    if not who.may("ssm-incidents:ListIncidentRecords"):
        return Response(status_code=403)
    filters = Filters.of(request)
    return console.page(request, who, "incident_rows.html", filters=filters, **rows(console, who, filters))


def plan_names(console: Console, who: SignedIn) -> list[str]:
    """The account's response plans' names (the first thousand), for the filter and "Start incident"."""
    names: list[str] = []
    params: dict[str, Any] = {"maxResults": 100}
    try:
        while len(names) < 1000:
            answer = console.call(who, "ssm-incidents", "ListResponsePlans", params)
            names += [summary["name"] for summary in answer.get("responsePlanSummaries", [])]
            if not answer.get("nextToken"):
                break
            params["nextToken"] = answer["nextToken"]
    except ServiceError:
        pass  # no plans to offer (not onboarded, or not allowed to list them)
    return names


def new_form(
    console: Console,
    request: Request,
    who: SignedIn,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """GET /console/incidents/new: "Start incident"."""
    return console.page(
        request,
        who,
        "start_incident.html",
        status=400 if errors else 200,
        plans=plan_names(console, who),
        errors=errors or FormErrors(),
        values=values or {"plan": request.query_params.get("plan", "")},
    )


def start(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/incidents/new: StartIncident with the chosen plan, and the title and impact if given."""
    params: dict[str, Any] = {"responsePlanArn": arns.response_plan(who.account_id, form.get("plan", ""))}
    if form.get("title", "").strip():
        params["title"] = form["title"].strip()
    if form.get("impact"):
        params["impact"] = int(form["impact"]) if form["impact"].isdigit() else form["impact"]
    try:
        answer = console.call(who, "ssm-incidents", "StartIncident", params)
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        errors = FormErrors.of(error, {"responsePlanArn": "plan", "title": "title", "impact": "impact"})
        if error.code == "ResourceNotFoundException":  # the plan chosen is gone (or never was)
            errors = FormErrors(fields={"plan": error.message})
        return new_form(console, request, who, errors, form)
    return RedirectResponse(incident_path(answer["incidentRecordArn"]), status_code=303)


def routes(console: Console) -> list[BaseRoute]:
    """The list's endpoints."""
    return [
        Route("/", reader(console, list_page), methods=["GET"]),
        Route("/incidents/rows", reader(console, list_rows), methods=["GET"]),
        Route("/incidents/new", reader(console, new_form), methods=["GET"]),
        Route("/incidents/new", writer(console, start), methods=["POST"]),
    ]


__all__ = ["PREFIX", "routes"]
