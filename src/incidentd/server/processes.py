"""Serving from several processes on one listening socket: one core per process instead of one GIL for all."""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from incidentd.config import ConfigError

log = logging.getLogger("incidentd")

# A process that dies sooner than this after its start is failing to start, not crashing under load:
# restarting it in a loop would only fill the log.
MIN_LIFETIME_SECONDS = 5.0
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def listening_socket(
    host: str, port: int, options: tuple[str, str] = ("--host", "--port"), listen: bool = True
) -> socket.socket:
    """A bound, listening TCP socket that forked children inherit; ConfigError saying what to do when it can't be.

    options are the command-line options that chose the host and the port, for the message. With listen false the
    socket only holds the port: connections are refused, instead of waiting in its backlog for a server that is still
    migrating its database, until uvicorn listens on it (asyncio's create_server does) once the app is ready.
    """
    host_option, port_option = options
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ConfigError(
            f"{host_option} {host}: {exc.strerror}; give an address of this machine, such as 127.0.0.1 or 0.0.0.0"
        ) from None
    sock = socket.socket(family, kind, protocol)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if listen:
            sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ConfigError(_bind_advice(host, port, exc, host_option, port_option)) from None
    sock.set_inheritable(True)
    return sock


def _bind_advice(host: str, port: int, error: OSError, host_option: str, port_option: str) -> str:
    """What to do when the port can't be had."""
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use by another program: stop that program, or choose another {port_option}"
    if error.errno == errno.EACCES:
        return f"this user may not listen on port {port} on {host}: choose a {port_option} of 1024 or more"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{host_option} {host} is not an address of this machine: use one of its addresses, such as 127.0.0.1"
    return f"can't listen on {host} port {port}: {error.strerror}; check {host_option} and {port_option}"


def serve_in_one_process(app: Any, sock: socket.socket, uvicorn_settings: dict[str, Any], where: str) -> int:
    """Serve the app on the bound socket in this process until SIGINT or SIGTERM, saying when it starts and stops."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # uvicorn calls this for SIGINT and SIGTERM while it serves.
            if not self.should_exit:
                log.info("incidentd stopping (%s)", signal.Signals(sig).name)
            super().handle_exit(sig, frame)

    server = Server(uvicorn.Config(app, **uvicorn_settings))

    def before_and_after(signum: int, _frame: object) -> None:
        # A signal before uvicorn took over stops it as soon as it has started. Once done, uvicorn raises the
        # signal that stopped it again, for the handler it found: this one, and not the default death by signal.
        if not server.should_exit:
            log.info("incidentd stopping (%s)", signal.Signals(signum).name)
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, before_and_after)
    log.info("incidentd serving on %s", where)
    server.run(sockets=[sock])
    log.info("incidentd stopped")
    return 0 if server.started else 1


def serve_in_processes(
    build_app: Callable[[int], Any],
    host: str,
    port: int,
    count: int,
    uvicorn_settings: dict[str, Any],
    sock: socket.socket | None = None,
    where: str | None = None,
) -> int:
    """Fork `count` processes that each build their own app and serve the one socket; supervise them.

    The kernel hands each new connection to one of the processes blocked in accept(). Each child builds its
    app after the fork with build_app(slot), slot being 0 to count - 1, so no thread, database connection or
    event loop crosses the fork. A child that dies is started again in its slot unless it died young (a
    start-up failure) or the parent is stopping. SIGINT or SIGTERM stops the children gracefully and returns
    once all have exited. sock is the socket already bound to host and port, if the caller bound it; where, the
    address to log once the processes are started.
    """
    sock = sock or listening_socket(host, port)
    children: dict[int, tuple[int, float]] = {}  # pid: (slot, started)
    stopping = False

    def stop(signum: int | None = None, _frame: object = None) -> None:
        nonlocal stopping
        if signum is not None and not stopping:
            log.info("incidentd stopping (%s)", signal.Signals(signum).name)
        stopping = True
        for pid in list(children):
            _signal(pid, signal.SIGTERM)

    def start(slot: int) -> None:
        # Held back across the fork: a child must never run the parent's stop(), only its own default or uvicorn's.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
                code = _serve_child(build_app(slot), sock, uvicorn_settings)
            except BaseException:
                log.exception("serving process %s failed", os.getpid())
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children[pid] = (slot, time.monotonic())
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # a signal held meanwhile now reaches stop()

    # Before the first fork: a signal while the processes start stops them too (each child resets its own).
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for slot in range(count):
        if not stopping:
            start(slot)
    if where is not None:
        log.info("incidentd serving on %s from %d processes", where, count)
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
    log.info("incidentd stopped")
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
