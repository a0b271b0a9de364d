"""The PagerDuty integration of a response plan: open a PagerDuty incident at the start, resolve it at the end."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.api.context import RequestContext
from incidentd.api.incidents import events
from incidentd.api.incidents.related_items import add_item
from incidentd.channels.message import DeliveryError
from incidentd.channels.pagerduty import PagerDutyClient, SecretError, base_url_for, find_secret, incident_key
from incidentd.domain import response, retry
from incidentd.domain.related_items import generated_id
from incidentd.engine.jobs import JobContext, LeaseLost, job_kind
from incidentd.ops import metrics
from incidentd.store import incidents, queue, related
from incidentd.store.tables import incidents as incidents_table

log = logging.getLogger("incidentd.pagerduty")

START_FAILURE = "PagerDuty Incident Start Failure for Incident"
RESOLVE_FAILURE = "PagerDuty Incident Resolve Failure for Incident"


def auto_resolve(settings: Any) -> bool:
    """Whether new PagerDuty incidents are resolved with theirs: `[pagerduty] auto_resolve`, default true.

    The model keeps autoResolve on the related item only (PagerDutyIncidentDetail), not on the plan; the
    AWS console offers it as a choice when the plan is made. Removing the item and adding it back with
    autoResolve false through UpdateRelatedItems opts one incident out.
    """
    section = getattr(settings, "raw", {}).get("pagerduty", {})
    return bool(section.get("auto_resolve", True)) if isinstance(section, dict) else True


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
    detail = {"id": pd_id, "autoResolve": auto_resolve(ctx.settings), "secretId": config["secretId"]}
    item = {
        "identifier": {"type": "OTHER", "value": {"pagerDutyIncidentDetail": detail}},
        "title": config.get("name") or "PagerDuty incident",
    }
    with ctx.transaction() as conn:
        now_ms = ctx.current_ms()
        current = _locked_incident(conn, account, arn)
        if current is not None:
            _record_item(_request_context(ctx, conn, now_ms), current, item)
            # Resolved while PagerDuty was answering: the resolve job found nothing to resolve, so the
            # resolution follows here (the row lock orders this against UpdateIncidentRecord).
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
    raw = getattr(ctx.settings, "raw", {}) or {}
    secret = find_secret(raw, secret_id, ctx.job.account_id)
    try:
        base_url = base_url_for(raw, secret)
    except ValueError as exc:
        raise SecretError(f"[pagerduty] base_url: {exc}") from None
    return PagerDutyClient(base_url, secret)


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
            ctx_ = _request_context(ctx, conn, ctx.current_ms())
            events.write(ctx_, arn, event_type, json.dumps(data, separators=(",", ":")), [{"resource": arn}])
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


def _locked_incident(conn: Connection, account: str, arn: str) -> dict[str, Any] | None:
    """The incident, its row locked until commit so that a concurrent resolution waits or is seen."""
    t = incidents_table
    query = sa.select(t.c.doc).where(t.c.account_id == account, t.c.arn == arn).with_for_update()
    doc: dict[str, Any] | None = conn.execute(query).scalar()
    return doc


def _record_item(ctx: RequestContext, record: dict[str, Any], item: dict[str, Any]) -> None:
    """Add the item as UpdateRelatedItems does: the item, the record's modification, the timeline entry."""
    item_id = generated_id(item["identifier"]["type"], item["identifier"]["value"])
    if related.exists(ctx.conn, ctx.account_id, record["arn"], item_id):
        return
    add_item(ctx, record["arn"], item)
    record.update(lastModifiedTime=ctx.now, lastModifiedBy=ctx.caller_arn)
    incidents.save(ctx.conn, ctx.account_id, record)
    change = {"attributeName": "relatedItems", "newValue": json.dumps({"itemToAdd": item}, separators=(",", ":"))}
    events.record_update(ctx, record, [change], references=[{"relatedItemId": item_id}])


def _request_context(ctx: JobContext, conn: Connection, now_ms: int) -> RequestContext:
    """The service acting on the account's incident, as AWS does through its service-linked role."""
    account = ctx.job.account_id
    return RequestContext(
        account_id=account,
        caller_arn=service_role(account),
        region=getattr(ctx.settings, "region", "us-east-1"),
        request_id=str(uuid.uuid4()),
        now_ms=now_ms,
        db=ctx.db,
        conn=conn,
        settings=ctx.settings,
    )


def service_role(account: str) -> str:
    """The ARN of Incident Manager's service-linked role in an account (aws-semantics §3.1)."""
    return f"arn:aws:iam::{account}:role/aws-service-role/ssm-incidents.amazonaws.com/AWSServiceRoleForIncidentManager"


def _details(record: dict[str, Any]) -> str:
    """The PagerDuty incident's body: what the responder needs to find the incident in incidentd."""
    lines = [f"Impact: {record.get('impact')}", f"Incident: {record['arn']}"]
    if record.get("summary"):
        lines += ["", str(record["summary"])]
    return "\n".join(lines)
