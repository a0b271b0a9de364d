"""The `incidentd` command: serve, worker, migrate, check-paging, policy, user."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import ipaddress
import logging
import os
import signal
import socket
import sys
from typing import Any

from incidentd import channels, config
from incidentd.api.invoke import Invoker
from incidentd.clock import SystemClock
from incidentd.config.logs import FORMATS, LEVELS
from incidentd.engine.worker import Worker
from incidentd.ops import logs, metrics, shared_counters
from incidentd.protocol.sigv4 import Credential
from incidentd.store import migrate
from incidentd.store.db import Database

log = logging.getLogger("incidentd")


def _is_loopback(host: str) -> bool:
    try:
        return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
    except (OSError, ValueError):
        return False


def _settings(args: argparse.Namespace) -> config.Settings:
    settings = config.load(args.config)
    if args.database:
        settings = dataclasses.replace(settings, database_url=args.database)
    return settings


# The uvicorn settings of `incidentd serve`; bench/hello.py serves its baseline with exactly these.
UVICORN_SETTINGS: dict[str, Any] = dict(
    log_level="warning",
    log_config=None,  # uvicorn's own records go through the handler and format set up in main()
    # uvicorn's httptools protocol with a deadline for each request's arrival and a bound on connections, at the
    # [server] section's defaults; `incidentd serve` passes the configured ones (uvicorn_settings).
    http="incidentd.server.slow_clients:GuardedProtocol",
    loop="uvloop",
    timeout_keep_alive=30,
    access_log=False,
)


def uvicorn_settings(settings: config.Settings) -> dict[str, Any]:
    """UVICORN_SETTINGS with the [server] section's request timeout and connection bound."""
    from incidentd.server.slow_clients import guarded_protocol

    return dict(UVICORN_SETTINGS, http=guarded_protocol(settings.server))


def serve(args: argparse.Namespace) -> int:
    """Run the API (and, unless --no-worker, the job engine) until interrupted."""
    import uvicorn

    from incidentd.server import processes

    _make_undumpable()
    settings = _settings(args)
    if not _scripts_isolated(settings):
        return 2
    credentials = _credentials(settings, args.host)
    if credentials is None:
        return 2
    _announce(settings)
    db = Database(settings.database_url)
    migrate.upgrade(db)
    where = f"http://{args.host}:{args.port} (database {db.url.split('@')[-1]})"
    if args.processes > 1:
        if not args.no_worker:
            channels.transports_from_settings(settings.delivery)  # a bad transport stops the command here
        db.dispose()  # nothing opened before the fork may be used after it
        log.info("incidentd serving on %s from %d processes", where, args.processes)
        # On SQLite one worker is enough (the database has one writer), and workers in every process would
        # take turns on the write lock with the API writers for nothing; on PostgreSQL every process runs one.
        one_worker = db.dialect == "sqlite"
        # Mapped before the fork so that every process sees it: /metrics then sums all processes' counters.
        counters = shared_counters.SharedCounters(args.processes)

        def build(slot: int) -> Any:
            metrics.share(counters, slot)
            database = Database(settings.database_url)
            return _application(args, settings, credentials, database, worker=not (one_worker and slot > 0))

        return processes.serve_in_processes(
            build,
            args.host,
            args.port,
            args.processes,
            uvicorn_settings(settings),
        )
    application = _application(args, settings, credentials, db)
    log.info("incidentd serving on %s", where)
    uvicorn.run(application, host=args.host, port=args.port, **uvicorn_settings(settings))
    return 0


def _make_undumpable() -> None:
    """Close this process's /proc entries (environ, cwd, mem...) to other processes of the same user (issue 17)."""
    # Its environment holds secret keys and tokens, and /proc/<pid>/cwd leads to the config file and the database.
    # prctl(PR_SET_DUMPABLE, 0) is kept across fork, so processes forked by serve --processes are covered too; root
    # with CAP_SYS_PTRACE can still read them.
    if sys.platform == "linux":
        import ctypes

        pr_set_dumpable = 4
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_dumpable, 0, 0, 0, 0)


def _scripts_isolated(settings: config.Settings) -> bool:
    """False, having said why on stderr, when [runbooks] allow_scripts is on but this machine can't isolate scripts."""
    from incidentd.runbooks import sandbox_check

    refusal = sandbox_check.refusal(settings.runbooks)
    if refusal is not None:
        log.error("%s", refusal)
    return refusal is None


def _announce(settings: config.Settings) -> None:
    """Say once, at start, where each configured SNS topic's messages go, and who keeps full access."""
    for line in settings.notifications.describe():
        log.info("%s", line)
    warning = settings.access.unrestricted_warning()
    if warning:
        log.warning("%s", warning)
    note = settings.access.roles_note()
    if note:
        log.info("%s", note)


def _credentials(settings: config.Settings, host: str) -> dict[str, Credential] | None:
    """The access keys to accept, or None when the server must not start without configured ones."""
    credentials: dict[str, Credential] = dict(settings.credentials)
    if not credentials:
        if not _is_loopback(host):
            log.error(
                "no credentials configured: set INCIDENTD_CREDENTIALS or [[credentials]] in the config "
                "file; only a loopback address may run with the development key pair"
            )
            return None
        credentials[config.DEV_CREDENTIAL.access_key_id] = config.DEV_CREDENTIAL
        log.warning(
            "no credentials configured: accepting the development key pair access key 'test', "
            "secret 'test' for account 000000000000 (loopback only)"
        )
    return credentials


def _application(
    args: argparse.Namespace,
    settings: config.Settings,
    credentials: dict[str, Credential],
    db: Database,
    worker: bool = True,
) -> Any:
    """The composition root of one serving process: invoke, the dispatcher, its endpoints, its embedded worker."""
    from incidentd.server.asgi import Application
    from incidentd.server.dispatch import Dispatcher
    from incidentd.server.endpoints import plain_routes

    clock = SystemClock()
    invoker = Invoker(db, clock, settings)
    wake = lambda: None  # noqa: E731
    if worker and not args.no_worker:
        engine = _worker(invoker)
        engine.start_thread()
        wake = engine.wake.set
    dispatcher = Dispatcher(invoker, credentials, on_write=wake)
    console = None
    if settings.console.enabled:
        from incidentd.console.app import console_app

        console = console_app(invoker, wake)
    application = Application(dispatcher, routes=plain_routes(invoker, wake), console=console)
    # The service models and everything loaded so far live as long as the process: keep the cyclic garbage
    # collector from walking them again and again under load.
    gc.freeze()
    return application


def _worker(invoker: Invoker) -> Worker:
    """A worker with the delivery transports the settings configure, calling operations through invoke."""
    transports = channels.transports_from_settings(invoker.settings.delivery)
    for channel_type, transport in transports.items():
        log.info("%s pages go through %s", channel_type, transport.describe())
    return Worker(invoker.db, invoker.clock, invoker.invoke, invoker.settings, transports)


def worker(args: argparse.Namespace) -> int:
    """Run only the job engine."""
    _make_undumpable()
    settings = _settings(args)
    if not _scripts_isolated(settings):
        return 2
    _announce(settings)
    db = Database(settings.database_url)
    migrate.upgrade(db)
    clock = SystemClock()
    engine = _worker(Invoker(db, clock, settings))
    if args.metrics_port:
        # The worker counts its deliveries in its own process; this is where Prometheus reads them.
        from prometheus_client import start_http_server

        start_http_server(args.metrics_port, args.metrics_host, registry=metrics.registry(db, clock))
        log.info("worker metrics on http://%s:%s/metrics", args.metrics_host, args.metrics_port)

    def stop(*_: object) -> None:
        engine.stop()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    log.info("incidentd worker %s running (database %s)", engine.owner, db.url.split("@")[-1])
    engine.run_forever()
    return 0


def migrate_command(args: argparse.Namespace) -> int:
    """Apply the schema migrations and exit."""
    db = Database(_settings(args).database_url)
    migrate.upgrade(db)
    log.info("database is at the newest schema")
    return 0


def check_paging_command(args: argparse.Namespace) -> int:
    """Print the set-ups that would page nobody; exit 1 when there are any, so that CI can run it."""
    import json

    from incidentd.ops import paging_check
    from incidentd.ops.readiness import Readiness

    settings = _settings(args)
    db = Database(settings.database_url)
    # A check only reads: it never migrates a database, and one at another schema would be misread.
    problem = Readiness(db, timeout=10).problem()
    if problem is not None:
        log.error("can't check paging: %s (incidentd migrate brings the schema up to date)", problem)
        db.dispose()
        return 2
    transports = channels.transports_from_settings(settings.delivery)
    with db.read() as conn:
        findings = paging_check.check(conn, transports)
    db.dispose()
    if args.format == "json":
        print(json.dumps([finding.as_dict() for finding in findings], indent=2))
    else:
        print(paging_check.render_text(findings))
    return 1 if findings else 0


def policy_command(args: argparse.Namespace) -> int:
    """Print a built-in policy, or simulate a key's request."""
    from incidentd import policy_command as policies

    return policies.run(args, _settings(args))


def user_command(args: argparse.Namespace) -> int:
    """Add, list, change or remove the console's local users."""
    from incidentd import user_command as users

    return users.run(args, _settings(args))


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="incidentd", description="A self-hosted AWS Incident Manager.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, func, help_text in (
        ("serve", serve, "serve the AWS APIs (with an embedded worker unless --no-worker)"),
        ("worker", worker, "run the job engine only"),
        ("migrate", migrate_command, "apply database migrations and exit"),
        ("check-paging", check_paging_command, "list contacts, plans and rotations that would page nobody"),
        ("policy", policy_command, "show the built-in policies, or simulate what a key may do"),
        ("user", user_command, "add, list, change or remove the console's users"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.set_defaults(func=func)
        sub.add_argument("--database", help="sqlite:///path or postgresql://… (default: ./data/incidentd.db)")
        sub.add_argument("--config", help="TOML config file (or INCIDENTD_CONFIG)")
        sub.add_argument("--log-format", choices=FORMATS, help="text or json lines (default: text)")
        sub.add_argument("--log-level", choices=LEVELS, help="the lowest level logged (default: info)")
        sub.add_argument(
            "--access-log",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="log one line per AWS API request (default: off)",
        )
        if name == "policy":
            from incidentd import policy_command as policies

            policies.add_arguments(sub)
        if name == "user":
            from incidentd import user_command as users

            users.add_arguments(sub)
        if name == "check-paging":
            sub.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
        if name == "worker":
            sub.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
            sub.add_argument("--metrics-host", default="127.0.0.1", help="address for --metrics-port")
        if name == "serve":
            sub.add_argument("--host", default="127.0.0.1")
            sub.add_argument("--port", type=int, default=4570)
            sub.add_argument("--no-worker", action="store_true", help="don't run the job engine in this process")
            sub.add_argument(
                "--processes",
                type=_positive,
                default=1,
                help="serving processes sharing the port (default 1); see the README on workers and SQLite",
            )
    return parser


def _set_up_logging(args: argparse.Namespace) -> None:
    """Log as --log-format, INCIDENTD_LOG_FORMAT or the config file's [logging] section say."""
    try:
        chosen = config.load(args.config).logging
    except config.ConfigError:
        # The command reports the broken file once logging is set up: the flags and the environment do meanwhile
        # (a bad INCIDENTD_LOG_* raises here, and main reports it in the default format).
        chosen = config.LogSettings.read({}, os.environ)
    logs.configure(chosen.overridden(args.log_format, args.log_level, args.access_log))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        _set_up_logging(args)
    except config.ConfigError as exc:
        logs.configure(config.LogSettings())
        log.error("%s", exc)
        return 2
    try:
        return int(args.func(args))
    except config.ConfigError as exc:
        log.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
