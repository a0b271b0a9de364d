"""`POST /ingest/{source}/{responsePlanName}`: authenticate, read the source's payload, act on the signal."""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from incidentd.api.invoke import Invoker
from incidentd.config.sections import IngestToken
from incidentd.ingest import alertmanager, grafana, sns, webhook
from incidentd.ingest.auth import authenticate
from incidentd.ingest.common import PayloadError, Refused, Signal, json_object
from incidentd.ingest.rate_limit import TokenBuckets
from incidentd.ingest.start import Outcome, Starter
from incidentd.protocol.errors import ServiceError
from incidentd.protocol.wire import MAX_BODY_BYTES, WireRequest, WireResponse

log = logging.getLogger("incidentd.ingest")

PREFIX = "/ingest/"
PARSERS: dict[str, Callable[[dict[str, Any], float], Signal]] = {
    "alertmanager": alertmanager.parse,
    "grafana": grafana.parse,
    "webhook": webhook.parse,
}
SOURCES = (*PARSERS, "sns")
# A modelled error from StartIncident or UpdateIncidentRecord, as the HTTP status a webhook sender understands.
_STATUS_OF = {"ValidationException": 400, "AccessDeniedException": 403, "ResourceNotFoundException": 404}
_STATUS_OF["ConflictException"] = 409
_STATUS_OF["ThrottlingException"] = 429
_CHALLENGES = [("www-authenticate", 'Bearer realm="incidentd"'), ("www-authenticate", 'Basic realm="incidentd"')]


class IngestEndpoint:
    """The alert endpoints of one server."""

    def __init__(self, invoker: Invoker, on_write: Callable[[], None]) -> None:
        settings = invoker.settings.ingest
        self.tokens: tuple[IngestToken, ...] = settings.tokens
        self.verifier = sns.SnsVerifier(list(settings.sns_cert_url_prefixes))
        self.starter = Starter(invoker)
        self.clock = invoker.clock
        self.on_write = on_write
        self.buckets = TokenBuckets()

    def __call__(self, request: WireRequest) -> WireResponse:
        """Answer one alert notification; nothing changes unless the token and the payload are good."""
        token = authenticate(self.tokens, request.headers.get("authorization", ""))
        if token is None:
            # The Basic challenge is what makes SNS send the credentials of the subscription URL.
            return _answer(401, {"message": "a valid ingest token is required"}, _CHALLENGES)
        wait = self.buckets.take(token.token, token.rate_per_minute)
        if wait:
            message = f"over this token's rate of {token.rate_per_minute} notifications a minute: retry in {wait} s"
            return _answer(429, {"message": message}, [("retry-after", str(wait))])
        try:
            source, plan_name = _route(request.raw_path)
            outcome = self._handle(request, token, source, plan_name)
        except Refused as refused:
            return _answer(refused.status, {"message": refused.message})
        except PayloadError as error:
            return _answer(400, {"message": f"bad payload: {error}"})
        except ServiceError as error:
            return _answer(_STATUS_OF.get(error.code, 500), {"code": error.code, "message": error.message})
        except IntegrityError:
            return _answer(409, {"message": "a concurrent change got in the way; send the notification again"})
        if isinstance(outcome, WireResponse):
            return outcome
        if outcome.changed and outcome.action != "ignored":
            self.on_write()
        # A storm's repeats change nothing: a line each would be the storm again, in the log.
        log.log(
            logging.INFO if outcome.changed else logging.DEBUG,
            "ingest %s/%s for %s: %s %s",
            source,
            plan_name,
            token.account,
            outcome.action,
            outcome.incident_arn,
        )
        arns = [outcome.incident_arn] if outcome.incident_arn else []
        return _answer(outcome.status, {"action": outcome.action, "incidentRecordArns": arns})

    def _handle(self, request: WireRequest, token: IngestToken, source: str, plan_name: str) -> Outcome | WireResponse:
        if not token.allows(plan_name):
            raise Refused(403, f"this token may not open incidents with the plan {plan_name!r}")
        # The same bytes parse to the same signal. SNS messages go the long way: their age is checked every time.
        if source in PARSERS and not request.oversize:
            repeat = self.starter.known_repeat(token.account, source, plan_name, request.body)
            if repeat is not None:
                return repeat
        # Another account's plan of the same name is not this token's: the look-up is in the token's account.
        if self.starter.plan(token.account, plan_name) is None:
            raise Refused(404, f"no response plan named {plan_name!r} in account {token.account}")
        if request.oversize or len(request.body) > MAX_BODY_BYTES:
            raise Refused(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        payload = json_object(request.body)
        now_ms = self.clock.now_ms()
        if source == "sns":
            signal = self._sns(payload, token, now_ms / 1000)
            if signal.details.get("confirmed") or signal.details.get("unsubscribed"):
                return _answer(200, signal.details)
        else:
            signal = PARSERS[source](payload, now_ms / 1000)
        body = request.body if source in PARSERS else None
        return self.starter.apply(signal, token.account, source, plan_name, now_ms, body)

    def _sns(self, message: dict[str, Any], token: IngestToken, now: float) -> Signal:
        """A verified SNS message's signal: confirmations are acted on here, notifications carry alarms."""
        self.verifier.verify(message)
        # Any AWS account can make a topic whose messages SNS signs: the token says whose topics count.
        if not token.accepts_topic(str(message["TopicArn"])):
            raise Refused(403, f"this token takes no SNS messages from the topic {message['TopicArn']!r}")
        kind = message["Type"]
        if kind == "SubscriptionConfirmation":
            return sns.confirm(self.verifier, message)
        if kind == "UnsubscribeConfirmation":
            details = {"unsubscribed": True, "topicArn": message.get("TopicArn")}
            return Signal(action="ignore", source=sns.SOURCE, timestamp=now, raw_data="", details=details)
        sns.check_fresh(message, now)
        return sns.parse_alarm(message, now)


def _route(raw_path: bytes) -> tuple[str, str]:
    """The source and the plan name in /ingest/{source}/{responsePlanName}; Refused(404) for other paths."""
    path = raw_path.decode("latin-1").split("?", 1)[0]
    parts = path[len(PREFIX) :].strip("/").split("/")
    if len(parts) != 2 or parts[0] not in SOURCES or not parts[1]:
        raise Refused(404, f"no such endpoint: POST /ingest/{{{'|'.join(SOURCES)}}}/{{responsePlanName}}")
    return parts[0], urllib.parse.unquote(parts[1])


def _answer(status: int, body: dict[str, Any], headers: list[tuple[str, str]] | None = None) -> WireResponse:
    return WireResponse(status, json.dumps(body).encode(), [("content-type", "application/json"), *(headers or [])])
