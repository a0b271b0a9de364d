"""Acknowledging a page from the phone, through Twilio's signed callbacks: a text back, or a key pressed on the call.

AWS Incident Manager lets a responder acknowledge an SMS page by replying with the code it carried, and a
voice page by pressing 1 (aws-behaviour §4.4). Twilio posts each text sent to incidentd's number to the
number's messaging webhook (POST /twilio/sms), and the key a callee pressed to the action URL of the call's
Gather (POST /twilio/voice?page=...). Both are signed with the account's auth token over the URL Twilio
called, which incidentd rebuilds from its configured public URL. An acknowledgement is AcceptPage with
AcceptType READ, made for a contact who owns the phone number through an activated channel of that type.
The answers are TwiML: Twilio texts the message back, or says it on the call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import urllib.parse
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy.engine import Connection

from incidentd.channels.twilio import VOICE_PATH
from incidentd.clock import Clock
from incidentd.config.delivery import TwilioCallbacks
from incidentd.domain import arns
from incidentd.protocol.wire import WireRequest, WireResponse
from incidentd.services import engagements as acknowledgement
from incidentd.store import channels as channel_store
from incidentd.store import engagements
from incidentd.store.db import Database
from incidentd.store.unit import Unit

log = logging.getLogger("incidentd.paging")

SMS_PATH = "/twilio/sms"
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")  # accept codes are six digits (services.engagements.new_code)
_OFF = "Replies from phones are off: set INCIDENTD_TWILIO_PUBLIC_URL (or [twilio] public_url)."


def signature(auth_token: str, url: str, fields: list[tuple[str, str]]) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 of the URL followed by each form field's name and value, sorted."""
    data = url + "".join(name + value for name, value in sorted(fields))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode("ascii")


class Refused(Exception):
    """A callback that did not come from Twilio for this account."""


class TwilioReplies:
    """The two callbacks Twilio makes for incidentd's number and calls."""

    def __init__(self, db: Database, clock: Clock, callbacks: TwilioCallbacks | None) -> None:
        self.db = db
        self.clock = clock
        self.callbacks = callbacks

    def sms(self, request: WireRequest) -> WireResponse:
        """A text to incidentd's number: acknowledge the pages whose codes it names; the TwiML text back."""
        try:
            form = self._verified(request, SMS_PATH)
        except Refused as refused:
            return _refusal(refused)
        codes = list(dict.fromkeys(_CODE.findall(form.get("Body", ""))))
        if not codes:
            return _twiml("Message", "To acknowledge a page, reply with the 6-digit accept code it came with.")
        with self.db.write() as conn:
            acknowledged = acknowledge_by_code(self.db, conn, form.get("From", ""), codes, self.clock.now_ms())
        if not acknowledged:
            return _twiml("Message", "No unacknowledged page with that code was sent to this number.")
        subjects = [page.get("PublicSubject") or page.get("Subject") or "page" for page in acknowledged]
        return _twiml("Message", "Acknowledged: " + "; ".join(subjects))

    def voice(self, request: WireRequest) -> WireResponse:
        """The key pressed during a page's call: 1 acknowledges that page; the TwiML the call says next."""
        try:
            form = self._verified(request, VOICE_PATH)
        except Refused as refused:
            return _refusal(refused)
        if form.get("Digits") != "1":
            return _twiml("Say", "The page is not acknowledged. Goodbye.")
        page_arn = dict(urllib.parse.parse_qsl(request.query_string.decode("latin-1"))).get("page", "")
        with self.db.write() as conn:
            # The callee is To: Twilio reports an outbound call from incidentd's number to the person.
            done = acknowledge_call(self.db, conn, page_arn, form.get("To", ""), self.clock.now_ms())
        return _twiml("Say", "Acknowledged. Goodbye." if done else "This page can't be acknowledged any more.")

    def _verified(self, request: WireRequest, path: str) -> dict[str, str]:
        """The form fields of a callback that Twilio signed for this account; Refused otherwise."""
        if self.callbacks is None:
            raise Refused(404, _OFF)
        account_sid, auth_token, public_url = (
            self.callbacks.account_sid,
            self.callbacks.auth_token,
            self.callbacks.public_url,
        )
        query = request.query_string.decode("latin-1")
        url = public_url + path + (f"?{query}" if query else "")  # the URL Twilio called, as it signed it
        fields = urllib.parse.parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        given = request.headers.get("x-twilio-signature", "")
        # A signature is base64, so ASCII; compare_digest refuses non-ASCII strings with a TypeError, and such a
        # header is just another signature that does not match.
        if not given.isascii() or not hmac.compare_digest(signature(auth_token, url, fields), given):
            raise Refused(403, "The X-Twilio-Signature does not match this request.")
        form = dict(fields)
        if form.get("AccountSid") != account_sid:
            raise Refused(403, "The request is for another Twilio account.")
        return form


def acknowledge_by_code(
    db: Database, conn: Connection, number: str, codes: list[str], now_ms: int
) -> list[dict[str, Any]]:
    """Accept (READ) each unread page with one of the codes whose contact texts from the number; those pages."""
    accepted = []
    for code in codes:
        for account_id, page in engagements.unread_pages_with_code(conn, code):
            channel = _phone_channel(conn, account_id, page["contact_arn"], "SMS", number)
            if channel is None:
                continue  # the code went to someone else: a number only acknowledges its own contact's pages
            acknowledgement.accept(Unit(conn, db, account_id, now_ms), page, "READ", code, channel)
            log.info("page %s acknowledged by a text from its contact's channel %s", page["arn"], channel)
            accepted.append(page)
    return accepted


def acknowledge_call(db: Database, conn: Connection, page_arn: str, number: str, now_ms: int) -> bool:
    """Accept (READ) the page a call was made for, if still unread and the callee's number is its contact's."""
    parsed = arns.parse(page_arn)
    if parsed is None or parsed.service != "ssm-contacts":
        return False
    page = engagements.get_page(conn, parsed.account, page_arn)
    if page is None or page["read_ms"] is not None:
        return False
    channel = _phone_channel(conn, parsed.account, page["contact_arn"], "VOICE", number)
    if channel is None:
        return False
    unit = Unit(conn, db, parsed.account, now_ms)
    acknowledgement.accept(unit, page, "READ", page["accept_code"], channel)
    log.info("page %s acknowledged by a key pressed on a call to its contact's channel %s", page_arn, channel)
    return True


def _phone_channel(conn: Connection, account_id: str, contact_arn: str, channel_type: str, number: str) -> str | None:
    """The ARN of the contact's activated channel of this type with this number, if it has one."""
    for channel in channel_store.of_contact(conn, account_id, contact_arn):
        doc = channel.doc
        if (
            doc.get("Type") == channel_type
            and doc.get("ActivationStatus") == "ACTIVATED"
            and doc.get("DeliveryAddress", {}).get("SimpleAddress") == number
        ):
            return str(doc["ContactChannelArn"])
    return None


def _twiml(verb: str, text: str) -> WireResponse:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Response><{verb}>{escape(text)}</{verb}></Response>'
    return WireResponse(200, body.encode(), [("content-type", "text/xml")])


def _refusal(refused: Refused) -> WireResponse:
    status, message = refused.args
    return WireResponse(status, json.dumps({"message": message}).encode(), [("content-type", "application/json")])
