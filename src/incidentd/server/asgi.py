"""The ASGI application: reads the request, has the dispatcher answer it, sends the answer."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from incidentd.ops import metrics
from incidentd.ops.logs import ACCESS_LOGGER
from incidentd.protocol.wire import MAX_BODY_BYTES, WireRequest, WireResponse
from incidentd.server.dispatch import Dispatcher
from incidentd.server.plain import PlainHandler, PlainRoutes

Scope = dict[str, Any]

log = logging.getLogger("incidentd.request")
access_log = logging.getLogger(ACCESS_LOGGER)


class Application:
    """ASGI entry point: the plain endpoints answer their paths, the dispatcher every AWS API request."""

    def __init__(self, dispatcher: Dispatcher, routes: PlainRoutes | None = None, console: Any = None) -> None:
        self.dispatcher = dispatcher
        self.routes = routes if routes is not None else PlainRoutes()
        # The web console (an ASGI application of its own) answers everything under /console.
        self.console = console
        # A plain handler may block (ingest writes, /metrics reads): it runs on a thread of its own.
        self.plain_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="incidentd-plain")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if self.console is not None and scope["path"].startswith("/console"):
            await self.console(scope, receive, send)
            return
        read = await _read_body(receive)
        if read is None:
            return  # the client went away (or was cut off) mid-body: half a request is never answered or acted on
        body, too_large = read
        headers = _headers(scope["headers"])
        request = WireRequest(
            method=scope["method"],
            raw_path=scope.get("raw_path") or scope["path"].encode(),
            query_string=scope.get("query_string", b""),
            headers=headers,
            body=body,
            oversize=too_large,
        )
        started = time.perf_counter()
        plain = self.routes.find(request)
        if plain is None:
            response = await self.dispatcher.answer(request)
        else:
            loop = asyncio.get_running_loop()
            response = await loop.run_in_executor(self.plain_threads, _answer_plain, plain, request)
        if response.operation is not None:
            elapsed = time.perf_counter() - started
            metrics.REQUESTS.observe(response.operation, response.status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                _log_access(request, response, elapsed)
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        # A length lets the server send the body in one piece instead of chunked.
        raw_headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": response.body})


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header names in lower case, each with its value; a repeated header's values joined by commas, in order."""
    # uvicorn sends names in lower case and almost never a header twice: one pass answers, and checking the
    # result's size costs less than looking each name up on the way.
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}
    if len(headers) == len(raw):
        return headers
    headers = {}
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _log_access(request: WireRequest, response: WireResponse, elapsed: float) -> None:
    """One line for an answered AWS API request, with its request id."""
    request_id = next((value for name, value in response.headers if name == "x-amzn-requestid"), None)
    service, operation = response.operation or ("", "")
    access_log.info(
        "%s %s -> %s %s:%s %.2f ms",
        request.method,
        request.raw_path.decode("latin-1"),
        response.status,
        service,
        operation,
        elapsed * 1000,
        extra={
            "request_id": request_id,
            "operation": f"{service}:{operation}",
            "status": response.status,
            "duration_ms": round(elapsed * 1000, 3),
        },
    )


def _answer_plain(handler: PlainHandler, request: WireRequest) -> WireResponse:
    """A plain endpoint's answer; an exception in it is a bug, logged and answered with a 500."""
    try:
        return handler(request)
    except Exception:
        log.exception("%s %s failed", request.method, request.raw_path.decode("latin-1"))
        return WireResponse(500, b'{"message":"internal error"}', [("content-type", "application/json")])


async def _read_body(receive: Any) -> tuple[bytes, bool] | None:
    """The request body, or (b"", True) once it passes the limit (the rest is drained, not kept); None when the
    connection closed before the body was whole."""
    chunks: list[bytes] = []
    size = 0
    too_large = False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            too_large = True
            chunks = []
        elif not too_large:
            chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks), too_large


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
