"""Serving from several processes on one listening socket: one core per process instead of one GIL for all."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("incidentd")

# A process that dies sooner than this after its start is failing to start, not crashing under load:
# restarting it in a loop would only fill the log.
MIN_LIFETIME_SECONDS = 5.0


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket that forked children inherit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve_in_processes(
    build_app: Callable[[int], Any], host: str, port: int, count: int, uvicorn_settings: dict[str, Any]
) -> int:
    """Fork `count` processes that each build their own app and serve the one socket; supervise them.

    The kernel hands each new connection to one of the processes blocked in accept(). Each child builds its
    app after the fork with build_app(slot), slot being 0 to count - 1, so no thread, database connection or
    event loop crosses the fork. A child that dies is started again in its slot unless it died young (a
    start-up failure) or the parent is stopping. SIGINT or SIGTERM stops the children gracefully and returns
    once all have exited.
    """
    sock = listening_socket(host, port)
    children: dict[int, tuple[int, float]] = {}  # pid: (slot, started)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            _signal(pid, signal.SIGTERM)

    def start(slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                code = _serve_child(build_app(slot), sock, uvicorn_settings)
            except BaseException:
                log.exception("serving process %s failed", os.getpid())
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children[pid] = (slot, time.monotonic())

    for slot in range(count):
        start(slot)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    failed = False
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        child = children.pop(pid, None)
        if child is None or stopping:
            continue
        slot, started = child
        code = os.waitstatus_to_exitcode(status)
        if time.monotonic() - started < MIN_LIFETIME_SECONDS:
            log.error("serving process %s exited with %s right after starting; stopping the others", pid, code)
            failed = True
            stop()
            continue
        log.error("serving process %s exited with %s; starting another", pid, code)
        start(slot)
    sock.close()
    return 1 if failed else 0


def _serve_child(app: Any, sock: socket.socket, uvicorn_settings: dict[str, Any]) -> int:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, **uvicorn_settings))
    server.run(sockets=[sock])
    return 0 if server.started else 1


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
