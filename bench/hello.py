"""The ceiling: a raw ASGI hello-world served with exactly the uvicorn settings `incidentd serve` uses."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from internals import cli, processes

BODY = b"Hello, world!"
HEADERS = [(b"content-type", b"text/plain"), (b"content-length", str(len(BODY)).encode())]

# Exactly the keyword arguments `incidentd serve` passes to uvicorn.
UVICORN_SETTINGS: dict[str, Any] = cli.UVICORN_SETTINGS


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer every HTTP request with a fixed 200; drain the body first, as any real app must."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False) and message["type"] == "http.request"
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    """`python bench/hello.py --port N [--processes K]`: served the way `incidentd serve` serves."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--processes", type=int, default=1, help="as incidentd serve --processes")
    args = parser.parse_args()
    if args.processes > 1:
        # incidentd's own forking server, so that the baseline shares the port the same way.
        processes.serve_in_processes(lambda _slot: app, args.host, args.port, args.processes, UVICORN_SETTINGS)
    else:
        uvicorn.run(app, host=args.host, port=args.port, **UVICORN_SETTINGS)


if __name__ == "__main__":
    main()
