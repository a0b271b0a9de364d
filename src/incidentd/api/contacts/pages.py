"""Pages: AcceptPage, DescribePage, the page lists, receipts and resolutions (aws-behaviour §4.4)."""

from __future__ import annotations

import secrets
from typing import Any

from incidentd.api.contacts.common import PAGES, SERVICE, invalid, load_contact, not_found, own_arn
from incidentd.api.contacts.engagements import load_engagement
from incidentd.api.context import CallContext
from incidentd.api.registry import handles
from incidentd.protocol.errors import RefusalAfterWrites
from incidentd.services import engagements
from incidentd.store import channels, page_codes
from incidentd.store import engagements as store

SPENT_CODE = (
    "too many wrong accept codes; the page's code is spent: acknowledge it from the phone it was sent to, "
    "or with AcceptCodeValidation IGNORE"
)
_SUMMARY = ("PageArn", "EngagementArn", "ContactArn", "Sender", "IncidentId", "SentTime", "DeliveryTime", "ReadTime")


def load_page(ctx: CallContext, arn: str) -> dict[str, Any]:
    """The caller's page with this ARN, or ResourceNotFoundException."""
    found = store.get_page(ctx.conn, ctx.account_id, arn) if own_arn(ctx, arn, "page") else None
    if found is None:
        raise not_found("PAGE", arn, "Page")
    return found


def page_wire(page: dict[str, Any]) -> dict[str, Any]:
    """A page as DescribePage shows it."""
    wire: dict[str, Any] = {
        "PageArn": page["arn"],
        "EngagementArn": page["engagement_arn"],
        "ContactArn": page["contact_arn"],
    }
    for name in engagements.MESSAGE_FIELDS:
        if page.get(name) is not None:
            wire[name] = page[name]
    for column, member in (("sent_ms", "SentTime"), ("delivery_ms", "DeliveryTime"), ("read_ms", "ReadTime")):
        if page[column] is not None:
            wire[member] = page[column] / 1000
    return wire


@handles(SERVICE, "AcceptPage")
def accept_page(ctx: CallContext, params: dict[str, Any]) -> None:
    """Acknowledge a page: READ stops its channels, and its engagement when the page is essential."""
    page = load_page(ctx, params["PageId"])
    # AcceptCodeValidation defaults to ENFORCE here: a wrong code must not silence a page.
    # (docs/aws-behaviour.md, "In short: ssm-contacts")
    if params.get("AcceptCodeValidation", "ENFORCE") == "ENFORCE":
        _check_code(ctx, page, params["AcceptCode"])
    channel_arn = params.get("ContactChannelId")
    if channel_arn is not None:
        channel = channels.get(ctx.conn, ctx.account_id, channel_arn)
        if channel is None or channel.doc["ContactArn"] != page["contact_arn"]:
            raise not_found("CONTACT_CHANNEL", channel_arn, "Contact channel")
    # A receipt's ReceiptInfo is the note when there is one, else the accept code (aws-behaviour §4.4).
    info = params.get("Note") or params["AcceptCode"]
    engagements.accept(ctx, page, params["AcceptType"], info, channel_arn)


def _check_code(ctx: CallContext, page: dict[str, Any], given: str) -> None:
    """Refuse a wrong accept code, counting it; after [paging] wrong_code_limit of them, refuse even the right one."""
    limit = ctx.settings.paging.wrong_code_limit
    wrong = page_codes.wrong_codes(ctx.conn, ctx.account_id, page["arn"])
    if wrong is None:  # deleted since load_page read it: its row can't be locked, nor counted against
        raise not_found("PAGE", page["arn"], "Page")
    if wrong >= limit:
        raise invalid(SPENT_CODE)
    if secrets.compare_digest(given.encode(), page["accept_code"].encode()):
        return
    count = page_codes.count_wrong_code(ctx.conn, ctx.account_id, page["arn"])
    refusal = invalid(SPENT_CODE if count >= limit else "AcceptCode does not match the code sent with the page")
    raise RefusalAfterWrites(refusal.code, refusal.message, **refusal.members)  # the count is kept


@handles(SERVICE, "DescribePage")
def describe_page(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """One page."""
    return page_wire(load_page(ctx, params["PageId"]))


@handles(SERVICE, "ListPagesByContact")
def list_pages_by_contact(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The pages a personal contact received, oldest first."""
    contact = load_contact(ctx, params["ContactId"])
    return _page_list(store.list_pages(ctx.conn, ctx.account_id, contact_arn=contact["ContactArn"]), params)


@handles(SERVICE, "ListPagesByEngagement")
def list_pages_by_engagement(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The pages an engagement sent, oldest first."""
    engagement = load_engagement(ctx, params["EngagementId"])
    return _page_list(store.list_pages(ctx.conn, ctx.account_id, engagement_arn=engagement["arn"]), params)


def _page_list(pages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    page, token = PAGES.page_of(pages, lambda p: [p["created_ms"], p["arn"]], params, int, str)
    wires = [page_wire(p) for p in page]
    result: dict[str, Any] = {"Pages": [{k: w[k] for k in _SUMMARY if k in w} for w in wires]}
    if token:
        result["NextToken"] = token
    return result


@handles(SERVICE, "ListPageReceipts")
def list_page_receipts(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """What happened to a page (SENT, DELIVERED, READ, ERROR, STOP), in the order it was recorded."""
    page = load_page(ctx, params["PageId"])
    receipts = store.receipts(ctx.conn, ctx.account_id, page["arn"])
    # Keyed by the order of recording, the order listed: a SENT recorded after a slow provider answered may
    # carry an earlier ReceiptTime than a READ recorded meanwhile, and must still be on exactly one page.
    chosen, token = PAGES.page_of(receipts, lambda r: [r["id"], r["receipt_ms"]], params, int, int)
    result: dict[str, Any] = {"Receipts": [_receipt_wire(r) for r in chosen]}
    if token:
        result["NextToken"] = token
    return result


def _receipt_wire(receipt: dict[str, Any]) -> dict[str, Any]:
    wire = {"ReceiptType": receipt["receipt_type"], "ReceiptTime": receipt["receipt_ms"] / 1000}
    if receipt["receipt_info"]:
        wire["ReceiptInfo"] = receipt["receipt_info"]
    if receipt["channel_arn"]:
        wire["ContactChannelArn"] = receipt["channel_arn"]
    return wire


@handles(SERVICE, "ListPageResolutions")
def list_page_resolutions(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """How the page reached its contact: escalation plan, then on-call schedule, then the person."""
    page = load_page(ctx, params["PageId"])
    # One page's path has at most three steps: it always fits in one answer, so no NextToken.
    return {"PageResolutions": page.get("Resolution", [])}
