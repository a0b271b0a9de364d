"""The ASGI application: reads the request, lets the dispatcher answer it on a worker thread."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from incidentd.protocol.wire import MAX_BODY_BYTES, WireRequest, WireResponse
from incidentd.server.dispatch import Dispatcher

Scope = dict[str, Any]


class Application:
    """ASGI entry point; database work runs on a thread pool so the event loop keeps accepting requests."""

    def __init__(self, dispatcher: Dispatcher, threads: int = 8) -> None:
        self.dispatcher = dispatcher
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="incidentd-request")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body, too_large = await _read_body(receive)
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        request = WireRequest(
            method=scope["method"],
            raw_path=scope.get("raw_path") or scope["path"].encode(),
            query_string=scope.get("query_string", b""),
            headers=headers,
            body=body,
            oversize=too_large,
        )
        loop = asyncio.get_running_loop()
        response: WireResponse = await loop.run_in_executor(self.executor, self.dispatcher.handle, request)
        await send({
            "type": "http.response.start",
            "status": response.status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers],
        })
        await send({"type": "http.response.body", "body": response.body})


async def _read_body(receive: Any) -> tuple[bytes, bool]:
    """The request body, or (b"", True) once it passes the limit (the rest is drained, not kept)."""
    chunks: list[bytes] = []
    size = 0
    too_large = False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
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
