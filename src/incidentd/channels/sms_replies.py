"""Acknowledging a page by texting back its accept code: Twilio's incoming-message webhook, POST /twilio/sms.

AWS Incident Manager lets a responder acknowledge an SMS page by replying with the code it carried
(aws-semantics §4.4). Twilio posts each incoming text to the number's messaging webhook, signed with the
account's auth token; the reply acknowledges every unread page that went out with that code to a contact who
owns the sending number through an activated SMS channel, as AcceptPage with AcceptType READ would. The
answer is TwiML, which Twilio texts back to the responder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy.engine import Connection

from incidentd import channels
from incidentd.clock import Clock
from incidentd.engine import escalation
from incidentd.protocol.wire import WireRequest, WireResponse
from incidentd.store import channels as channel_store
from incidentd.store import engagements
from incidentd.store.db import Database

log = logging.getLogger("incidentd.paging")

PATH = "/twilio/sms"
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")  # accept codes are six digits (escalation.new_code)


def signature(auth_token: str, url: str, fields: list[tuple[str, str]]) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 of the URL followed by each form field's name and value, sorted."""
    data = url + "".join(name + value for name, value in sorted(fields))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode("ascii")


class SmsReplies:
    """The webhook Twilio calls with each text sent to incidentd's number."""

    def __init__(self, db: Database, clock: Clock, raw_config: Mapping[str, Any], env: Mapping[str, str]) -> None:
        self.db = db
        self.clock = clock
        self.settings = channels.twilio_replies(env, raw_config)

    @classmethod
    def serving(cls, db: Database, clock: Clock, raw_config: Mapping[str, Any]) -> SmsReplies:
        """The webhook of a server, configured from its config file and environment."""
        return cls(db, clock, raw_config, os.environ)

    def __call__(self, request: WireRequest) -> WireResponse:
        """Acknowledge the pages the text names, if Twilio signed it; answer with the TwiML text back."""
        if self.settings is None:
            return _plain(404, "SMS replies are off: set INCIDENTD_TWILIO_REPLY_URL (or [twilio] reply_url).")
        account_sid, auth_token, reply_url = self.settings
        fields = urllib.parse.parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        expected = signature(auth_token, reply_url, fields)
        if not hmac.compare_digest(expected, request.headers.get("x-twilio-signature", "")):
            return _plain(403, "The X-Twilio-Signature does not match this message.")
        form = dict(fields)
        if form.get("AccountSid") != account_sid:
            return _plain(403, "The message is for another Twilio account.")
        number, text = form.get("From", ""), form.get("Body", "")
        codes = list(dict.fromkeys(_CODE.findall(text)))
        if not codes:
            return _twiml("To acknowledge a page, reply with the 6-digit accept code it came with.")
        with self.db.write() as conn:
            acknowledged = acknowledge(conn, number, codes, self.clock.now_ms())
        if not acknowledged:
            return _twiml("No unacknowledged page with that code was sent to this number.")
        subjects = [page.get("PublicSubject") or page.get("Subject") or "page" for page in acknowledged]
        return _twiml("Acknowledged: " + "; ".join(subjects))


def acknowledge(conn: Connection, number: str, codes: list[str], now_ms: int) -> list[dict[str, Any]]:
    """Accept (READ) each unread page with one of the codes whose contact owns the number; the pages accepted."""
    accepted = []
    for code in codes:
        for account_id, page in engagements.unread_pages_with_code(conn, code):
            channel = _sms_channel(conn, account_id, page["contact_arn"], number)
            if channel is None:
                continue  # the code went to someone else: a number only acknowledges its own contact's pages
            escalation.accept(conn, account_id, page, "READ", code, channel, now_ms)
            log.info("page %s acknowledged by an SMS reply from its contact's channel %s", page["arn"], channel)
            accepted.append(page)
    return accepted


def _sms_channel(conn: Connection, account_id: str, contact_arn: str, number: str) -> str | None:
    """The ARN of the contact's activated SMS channel with this number, if it has one."""
    for channel in channel_store.of_contact(conn, account_id, contact_arn):
        doc = channel.doc
        if (
            doc.get("Type") == "SMS"
            and doc.get("ActivationStatus") == "ACTIVATED"
            and doc.get("DeliveryAddress", {}).get("SimpleAddress") == number
        ):
            return str(doc["ContactChannelArn"])
    return None


def _twiml(text: str) -> WireResponse:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(text)}</Message></Response>'
    return WireResponse(200, body.encode(), [("content-type", "text/xml")])


def _plain(status: int, message: str) -> WireResponse:
    return WireResponse(status, json.dumps({"message": message}).encode(), [("content-type", "application/json")])
