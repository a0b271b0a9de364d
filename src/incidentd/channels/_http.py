"""One HTTP POST with a timeout, its failures mapped to DeliveryError; shared by the HTTP transports."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from incidentd.channels.message import DeliveryError
from incidentd.domain.urls import safe_url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would turn a redirected POST into a GET and drop the body."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    """POST and return (status, body) for a 2xx; raise DeliveryError otherwise."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:  # the error holds the response open; close it
            detail = exc.read(65536)
        raise DeliveryError(
            f"{safe_url(url)} answered HTTP {exc.code}{describe_error(detail)}", status_is_permanent(exc.code)
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        text = str(reason) or type(reason).__name__
        raise DeliveryError(f"can't reach {safe_url(url)}: {text}") from None


def status_is_permanent(status: int) -> bool:
    """Whether a non-2xx status means retrying can't help: 429 and 5xx are worth another try."""
    return status != 429 and status < 500


def describe_error(body: bytes) -> str:
    """The provider's explanation from an error body (Twilio's JSON `message` and `code`), if any."""
    try:
        parsed = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return f": {text[:200]}" if text else ""
    if not isinstance(parsed, dict):
        return ""
    message = parsed.get("message") or parsed.get("error") or ""
    code = parsed.get("code")
    return f": {message}" + (f" (code {code})" if code is not None else "") if message else ""


def json_object(body: bytes) -> dict[str, Any]:
    """A response body as a JSON object, or empty when it is not one."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
