"""What a transport delivers, how it fails, and the interface every transport implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

CHANNEL_TYPES = ("EMAIL", "SMS", "VOICE")
MAX_ERROR_TEXT = 1000


@dataclass(frozen=True)
class Message:
    """One thing to deliver to one contact channel: a page or an activation code."""

    channel_type: str  # "EMAIL" | "SMS" | "VOICE"
    address: str  # email address or E.164 phone number
    subject: str  # secure subject (email subject, read out by voice); for an activation, the channel's name
    content: str  # secure content (email body, voice)
    # SMS is the insecure channel, so it uses PublicSubject/PublicContent when given (aws-behaviour §4.4).
    public_subject: str | None
    public_content: str | None
    code: str  # the accept code of a page, or the activation code
    reference: str  # page ARN or channel ARN: goes into headers/metadata for tracing
    kind: str = "page"  # "page", "activation" or "notification"
    # Signed links a page's e-mail carries (notify/links.py); SMS and voice carry none.
    incident_link: str | None = None  # opens the incident's read-only page
    acknowledge_link: str | None = None  # opens a confirmation page whose button accepts the page (READ)

    @property
    def is_activation(self) -> bool:
        """Whether this carries an activation code rather than a page."""
        return self.kind == "activation"

    def code_line(self) -> str:
        """The line that tells the reader which code this is."""
        return f"{'Activation' if self.is_activation else 'Accept'} code: {self.code}"

    def link_lines(self) -> str:
        """The lines with the message's links, if it has any."""
        lines = []
        if self.incident_link:
            lines.append(f"Open the incident: {self.incident_link}")
        if self.acknowledge_link:
            lines.append(f"Acknowledge this page: {self.acknowledge_link}")
        return "\n".join(lines)

    def plain_text(self) -> str:
        """The text a person reads in an e-mail or the outbox: the content, the links, then the code line, if any."""
        # A notification (a chat-channel topic's e-mail subscriber) has no code to accept.
        tail = self.code_line() if self.code else ""
        return "\n\n".join(part for part in (self.content.rstrip(), self.link_lines(), tail) if part) + "\n"

    def sms_subject_and_content(self) -> tuple[str, str]:
        """The subject and content an SMS shows: the public ones where given."""
        subject = self.public_subject if self.public_subject is not None else self.subject
        content = self.public_content if self.public_content is not None else self.content
        return subject, content


def activation_message(channel_type: str, address: str, code: str, channel_arn: str, channel_name: str) -> Message:
    """The message that sends a new contact channel its activation code (aws-behaviour §4.3)."""
    return Message(
        channel_type=channel_type,
        address=address,
        subject=channel_name,
        content=f"Use this code to activate the contact channel {channel_name} in Incident Manager.",
        public_subject=None,
        public_content=None,
        code=code,
        reference=channel_arn,
        kind="activation",
    )


class DeliveryError(Exception):
    """A delivery that did not go out; `permanent` when retrying can't help (bad address, rejected credentials)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        # The text becomes an ERROR receipt's ReceiptInfo, which the model caps at 2048 characters.
        super().__init__(message if len(message) <= MAX_ERROR_TEXT else message[: MAX_ERROR_TEXT - 1] + "…")
        self.permanent = permanent


class Transport(Protocol):
    """Something that delivers a Message to one kind of contact channel."""

    def send(self, message: Message) -> str:
        """Deliver; the provider's message id (a receipt's ReceiptInfo). Raises DeliveryError."""
        ...

    def describe(self) -> str:
        """A one-line description for logs, without secrets."""
        ...
