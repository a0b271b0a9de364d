"""SMS and voice calls through Twilio's REST API (or anything that speaks it)."""

from __future__ import annotations

import base64
import urllib.parse
from xml.sax.saxutils import escape

from incidentd.channels import _http
from incidentd.channels.message import DeliveryError, Message
from incidentd.config.delivery import DEFAULT_TWILIO_BASE_URL
from incidentd.domain.urls import http_url, safe_url

VOICE_PATH = "/twilio/voice"  # where Twilio reports the key a callee pressed (inbound/twilio.py)
SMS_LIMIT = 1600  # Twilio rejects a Body longer than this (error 21617)
SAY_LIMIT = 3000  # TwiML passed inline may be 4000 characters; leave room for the markup and the code


class TwilioTransport:
    """Pages SMS and VOICE channels through Twilio's Messages and Calls resources."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str = DEFAULT_TWILIO_BASE_URL,
        timeout: float = 10.0,
        public_url: str | None = None,
    ) -> None:
        http_url(base_url)
        if public_url is not None:
            http_url(public_url)
        self.account_sid = account_sid
        self.from_number = from_number
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        # Where Twilio reaches incidentd: with it, a page's call asks the callee to press 1 to acknowledge.
        self.public_url = public_url.rstrip("/") if public_url else None
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self._authorization = f"Basic {credentials}"

    def describe(self) -> str:
        """Where and as whom this sends, without the auth token."""
        return f"twilio {safe_url(self.base_url)} account {self.account_sid} from {self.from_number}"

    def send(self, message: Message) -> str:
        """Send the SMS or place the call; Twilio's sid."""
        if message.channel_type == "SMS":
            resource, fields = "Messages", {"Body": sms_body(message)}
        elif message.channel_type == "VOICE":
            resource, fields = "Calls", {"Twiml": voice_twiml(message, self._keypress_url(message))}
        else:
            raise DeliveryError(f"Twilio can't deliver to {message.channel_type} channels", permanent=True)
        account = urllib.parse.quote(self.account_sid, safe="")
        url = f"{self.base_url}/2010-04-01/Accounts/{account}/{resource}.json"
        form = {"To": message.address, "From": self.from_number, **fields}
        headers = {
            "Authorization": self._authorization,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        status, body = _http.post(url, urllib.parse.urlencode(form).encode(), headers, self.timeout)
        sid = _http.json_object(body).get("sid")
        # A 2xx means Twilio took the message: without a sid it is still sent, and retrying would page twice.
        return str(sid) if sid else f"accepted with HTTP {status}, no sid"

    def _keypress_url(self, message: Message) -> str | None:
        """The URL Twilio posts the pressed key to, naming the page; None for activation calls or without a URL."""
        if self.public_url is None or message.is_activation:
            return None
        return f"{self.public_url}{VOICE_PATH}?{urllib.parse.urlencode({'page': message.reference})}"


def sms_body(message: Message) -> str:
    """The text of an SMS: public subject and content where given, then the code, within Twilio's limit."""
    subject, content = message.sms_subject_and_content()
    code_line = message.code_line()
    text = "\n".join(part for part in (subject, content) if part)
    room = SMS_LIMIT - len(code_line) - 1
    if len(text) > room:
        text = text[: room - 1] + "…"
    # The code goes last and is never cut: without it the page can't be acknowledged.
    return f"{text}\n{code_line}" if text else code_line


def voice_twiml(message: Message, keypress_url: str | None = None) -> str:
    """A TwiML document that reads the subject and content, then the code digit by digit, twice.

    With a keypress URL the reading is a Gather: pressing 1 during it (or in the seconds after) acknowledges
    the page, as on AWS (aws-behaviour §4.4); Twilio posts the key there.
    """
    text = ". ".join(part.strip() for part in (message.subject, message.content) if part.strip())
    if len(text) > SAY_LIMIT:
        text = text[: SAY_LIMIT - 1] + "…"
    # Separate digits so that text-to-speech reads "4, 2, 5" rather than "four hundred twenty-five".
    digits = ", ".join(message.code)
    what = "activation code" if message.is_activation else "accept code"
    says = [text] if text else []
    says += [f"Your {what} is {digits}.", f"Again, your {what} is {digits}."]
    spoken = "".join(f"<Say>{escape(say)}</Say>" for say in says)
    if keypress_url is None:
        return f"<Response>{spoken}</Response>"
    action = escape(keypress_url, {'"': "&quot;"})
    prompt = "<Say>Press 1 to acknowledge this page.</Say>"
    gather = f'<Gather numDigits="1" timeout="10" method="POST" action="{action}">{spoken}{prompt}</Gather>'
    return f"<Response>{gather}<Say>No key was pressed. The page is not acknowledged.</Say></Response>"
