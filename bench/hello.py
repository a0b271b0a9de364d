"""The ceiling: a raw ASGI hello-world served with exactly the uvicorn settings `incidentd serve` uses."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

BODY = b"Hello, world!"
HEADERS = [(b"content-type", b"text/plain"), (b"content-length", str(len(BODY)).encode())]

# The same keyword arguments as incidentd.cli.serve passes to uvicorn.run; kept in step by hand because
# cli.py does not export them (a difference here would make the baseline unfair).
UVICORN_SETTINGS: dict[str, Any] = dict(
    log_level="warning",
    http="httptools",
    loop="uvloop",
    timeout_keep_alive=30,
    access_log=False,
)


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
    """`python bench/hello.py --port N`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, **UVICORN_SETTINGS)


if __name__ == "__main__":
    main()
