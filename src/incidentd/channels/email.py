"""Email pages through an SMTP server: plain, STARTTLS or implicit TLS."""

from __future__ import annotations

import email.policy
import re
import smtplib
import ssl
import urllib.parse
from email.message import EmailMessage
from email.utils import make_msgid

from incidentd.channels.message import DeliveryError, Message

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_LINE_BREAKS = re.compile(r"[\r\n]+\s*")
# RFC 5322's line limit rather than the policy's 78: a long ARN has no space to fold at, and folding it there
# would put it on a continuation line that readers see with a leading space.
_POLICY = email.policy.SMTP.clone(max_line_length=998)


class SmtpTransport:
    """Sends EMAIL messages through one SMTP server named by a URL."""

    def __init__(
        self,
        url: str,
        sender: str,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise ValueError(f"SMTP URL must start with smtp://, smtp+starttls:// or smtps://, not {parts.scheme!r}")
        if not parts.hostname:
            raise ValueError("SMTP URL has no host")
        if not sender or "@" not in sender:
            raise ValueError(f"the email sender must be an address, not {sender!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        self.username = urllib.parse.unquote(parts.username) if parts.username else None
        self.password = urllib.parse.unquote(parts.password) if parts.password else ""
        self.sender = sender
        self.timeout = timeout
        self.local_hostname = local_hostname
        # One context for every send: loading the system's trust store each time would be wasted work.
        self._ssl_context = ssl_context or (ssl.create_default_context() if parts.scheme != "smtp" else None)
        self._domain = sender.rpartition("@")[2].strip(" >") or "incidentd"

    def describe(self) -> str:
        """Server, user and sender, without the password."""
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{user}{host}:{self.port} from {self.sender}"

    def send(self, message: Message) -> str:
        """Send one email; its Message-ID."""
        if message.channel_type != "EMAIL":
            raise DeliveryError(f"SMTP can't deliver to {message.channel_type} channels", permanent=True)
        try:
            mail = self.compose(message)
        except (ValueError, TypeError) as exc:  # the email package refuses addresses and headers it can't write
            raise DeliveryError(f"can't write an email to {message.address!r}: {exc}", permanent=True) from None
        try:
            self._deliver(mail, message.address)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise _reply_error(f"{message.address} refused", code, reply) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, auth failed, bad greeting
            raise _reply_error(type(exc).__name__, exc.smtp_code, exc.smtp_error) from None
        except smtplib.SMTPNotSupportedError as exc:  # no STARTTLS, AUTH or SMTPUTF8: the server won't change soon
            raise DeliveryError(f"{self.describe()}: {exc}", permanent=True) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(f"{self.describe()}: {exc.verify_message or exc}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, disconnected
            raise DeliveryError(f"{self.describe()}: {str(exc) or type(exc).__name__}") from None
        return str(mail["Message-ID"])

    def compose(self, message: Message) -> EmailMessage:
        """The email for a message: the content and a line with the code."""
        mail = EmailMessage(policy=_POLICY)
        mail["From"] = self.sender
        mail["To"] = message.address
        if message.is_activation:
            name = f" {message.subject}" if message.subject else ""
            subject = f"Activation code for your contact channel{name}"
        else:
            subject = message.subject
        # Subjects come from API callers; a line break in a header would end it (or inject another).
        mail["Subject"] = _LINE_BREAKS.sub(" ", subject).strip()
        mail["Message-ID"] = make_msgid(domain=self._domain)
        mail["X-Incidentd-Reference"] = _LINE_BREAKS.sub(" ", message.reference)
        mail.set_content(message.plain_text())
        return mail

    def _deliver(self, mail: EmailMessage, address: str) -> None:
        """Connect, secure, authenticate and hand over one email; the socket is closed whatever happens."""
        context = self._ssl_context
        smtp: smtplib.SMTP
        if self.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout)
        try:
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=context)
            if self.username is not None:
                smtp.login(self.username, self.password)
            smtp.send_message(mail, from_addr=self.sender, to_addrs=[address])
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the server has the message; a lost goodbye doesn't change that
        finally:
            # Not `with smtp`: its exit sends QUIT even on a dead connection and may wait out another timeout.
            smtp.close()


def _reply_error(what: str, code: int, reply: bytes | str) -> DeliveryError:
    """A DeliveryError for an SMTP reply: 5xx is permanent, 4xx (and anything odd) is worth a retry."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return DeliveryError(f"{what}: {code} {text}", permanent=500 <= code < 600)
