"""The PagerDuty integration of a response plan: open a PagerDuty incident at the start, resolve it at the end."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy.engine import Connection

from incidentd.auth.principals import Principal
from incidentd.channels.message import DeliveryError
from incidentd.channels.pagerduty import PagerDutyClient, SecretError, base_url_for, find_secret, incident_key
from incidentd.domain import response, retry
from incidentd.engine.jobs import JobContext, LeaseLost, job_kind
from incidentd.ops import metrics
from incidentd.services import incidents as incident_service
from incidentd.store import incidents, queue, related

log = logging.getLogger("incidentd.pagerduty")

START_FAILURE = "PagerDuty Incident Start Failure for Incident"
RESOLVE_FAILURE = "PagerDuty Incident Resolve Failure for Incident"


@job_kind(response.PAGERDUTY, effect=True)
def open_incident(ctx: JobContext) -> None:
    """Open the PagerDuty incident of a new incident and record it as a related item."""
    payload = ctx.job.payload
    account, arn = ctx.job.account_id, payload["incidentArn"]
    config = payload["pagerDuty"]
    with ctx.read() as conn:
        record = incidents.get(conn, account, arn)
        already = _pagerduty_items(conn, account, arn) if record is not None else []
    if record is None or already:
        return  # deleted meanwhile, or opened by an earlier run of this job: nothing to do
    try:
        client = _client(ctx, config["secretId"])
        service = config["pagerDutyIncidentConfiguration"]["serviceId"]
        pd_id = client.create_incident(service, record["title"], incident_key(arn), _details(record))
    except (SecretError, DeliveryError) as error:
        _failed(ctx, START_FAILURE, error, config)
        return
    # New PagerDuty incidents are resolved with theirs unless [pagerduty] auto_resolve = false (config/sections.py).
    detail = {"id": pd_id, "autoResolve": ctx.settings.pagerduty.auto_resolve, "secretId": config["secretId"]}
    item = {
        "identifier": {"type": "OTHER", "value": {"pagerDutyIncidentDetail": detail}},
        "title": config.get("name") or "PagerDuty incident",
    }
    with ctx.transaction() as conn:
        unit = ctx.unit_in(conn)
        # The row lock orders this against UpdateIncidentRecord: a concurrent resolution waits or is seen.
        current = incidents.get_for_update(conn, account, arn)
        if current is not None:
            if not incident_service.has_related_item(unit, arn, item):
                # Added as UpdateRelatedItems adds one, by the service: the item, the record's change, the event.
                incident_service.change_related_items(unit, Principal.service(account), current, {"itemToAdd": item})
            # Resolved while PagerDuty was answering: the resolve job found nothing to resolve, so the
            # resolution follows here.
            if current["status"] == "RESOLVED" and detail["autoResolve"]:
                ctx.enqueue(response.PAGERDUTY_RESOLVE, {"incidentArn": arn}, conn=conn)
        ctx.finish(conn)
    metrics.delivery("pagerduty", metrics.SENT)
    log.info("incident %s: opened PagerDuty incident %s on service %s", arn, pd_id, service)


@job_kind(response.PAGERDUTY_RESOLVE, effect=True)
def resolve_incident(ctx: JobContext) -> None:
    """Resolve the PagerDuty incidents of a resolved incident whose related item says autoResolve."""
    payload = ctx.job.payload
    account, arn = ctx.job.account_id, payload["incidentArn"]
    with ctx.read() as conn:
        record = incidents.get(conn, account, arn)
        items = _pagerduty_items(conn, account, arn) if record is not None else []
    # Reopened before this ran: PagerDuty's incident stays open with it. No item yet: the opener, still at
    # work, sees the resolution when it records the item and resolves then.
    if record is None or record["status"] != "RESOLVED":
        return
    for detail in items:
        if not detail.get("autoResolve", True):
            continue
        try:
            _client(ctx, detail.get("secretId") or "").resolve_incident(detail["id"])
        except (SecretError, DeliveryError) as error:
            _failed(ctx, RESOLVE_FAILURE, error, detail)
            return
        metrics.delivery("pagerduty", metrics.SENT)
        log.info("incident %s: resolved PagerDuty incident %s", arn, detail["id"])


def _client(ctx: JobContext, secret_id: str) -> PagerDutyClient:
    settings = ctx.settings.pagerduty
    secret = find_secret(settings.secrets or {}, secret_id, ctx.job.account_id)
    return PagerDutyClient(base_url_for(settings.base_url, secret), secret)


def _failed(ctx: JobContext, event_type: str, error: Exception, about: dict[str, Any]) -> None:
    """Try again later after a passing failure; after a lasting one, say so on the incident's timeline."""
    payload = ctx.job.payload
    arn = payload["incidentArn"]
    attempt = int(payload.get("attempt", 1))
    retrying = isinstance(error, DeliveryError) and not error.permanent and not retry.PAGERDUTY.exhausted(attempt)
    metrics.delivery("pagerduty", metrics.RETRYING if retrying else metrics.FAILED)
    if retrying:
        log.warning("incident %s: PagerDuty failed (attempt %s), retrying: %s", arn, attempt, error)
    else:
        log.error("incident %s: PagerDuty failed for good (attempt %s): %s", arn, attempt, error)
    with ctx.transaction() as conn:
        if retrying:
            ctx.enqueue(ctx.job.kind, dict(payload, attempt=attempt + 1), retry.PAGERDUTY.delay_ms(attempt), conn=conn)
        elif incidents.get(conn, ctx.job.account_id, arn) is not None:
            data = {"secretId": about.get("secretId"), "error": str(error), "attempts": attempt}
            if "pagerDutyIncidentConfiguration" in about:
                data["serviceId"] = about["pagerDutyIncidentConfiguration"]["serviceId"]
            if "id" in about:
                data["pagerDutyIncidentId"] = about["id"]
            data_text = json.dumps(data, separators=(",", ":"))
            incident_service.write_event(ctx.unit_in(conn), arn, event_type, data_text, [{"resource": arn}])
        if retrying:
            ctx.finish(conn)
        else:
            # Failed, not done: operators find it among the failed jobs with its error.
            if not queue.fail(conn, ctx.job, str(error), ctx.current_ms()):
                raise LeaseLost(ctx.job.id)
            ctx.finished = True


def _pagerduty_items(conn: Connection, account: str, arn: str) -> list[dict[str, Any]]:
    """The pagerDutyIncidentDetail values among an incident's related items."""
    found = []
    for item in related.all_for(conn, account, arn):
        value = item["identifier"]["value"]
        if "pagerDutyIncidentDetail" in value:
            found.append(value["pagerDutyIncidentDetail"])
    return found


def _details(record: dict[str, Any]) -> str:
    """The PagerDuty incident's body: what the responder needs to find the incident in incidentd."""
    lines = [f"Impact: {record.get('impact')}", f"Incident: {record['arn']}"]
    if record.get("summary"):
        lines += ["", str(record["summary"])]
    return "\n".join(lines)
