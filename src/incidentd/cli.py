"""The `incidentd` command: serve, worker, migrate, check-paging, policy, user, outbox, backup."""

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
from importlib import metadata
from typing import Any

from incidentd import arguments, channels, config
from incidentd.api.invoke import Invoker
from incidentd.clock import SystemClock
from incidentd.config.logs import FORMATS, LEVELS
from incidentd.config.notifications import DEFAULT_PUBLIC_URL
from incidentd.engine.worker import Worker
from incidentd.ops import database_check, logs, metrics, shared_counters
from incidentd.ops.database_check import open_database
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
    database = getattr(args, "database", None)  # only commands that open the database take --database
    if database:
        settings = dataclasses.replace(settings, database_url=database)
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
    from incidentd.server import processes

    _make_undumpable()
    settings = _settings(args)
    if not _scripts_isolated(settings):
        return 2
    credentials = _credentials(settings, args.host)
    if credentials is None:
        return 2
    # The port before the database: a port in use stops the command before anything is created or migrated. uvicorn
    # listens on it once the app is built: until then a client is refused rather than kept waiting in the backlog.
    sock = processes.listening_socket(args.host, args.port, listen=False)
    db = open_database(settings)
    _announce(settings)
    if settings.development:
        log.warning(
            "no credentials configured: accepting the development key pair access key 'test', "
            "secret 'test' for account 000000000000 (loopback only)"
        )
    migrate.upgrade(db)
    where = f"http://{_url_host(args.host)}:{args.port}"
    settings = _links_to_this_server(settings, args.host, args.port)
    if args.processes > 1:
        if not args.no_worker:
            channels.transports_from_settings(settings.delivery)  # a bad transport stops the command here
        db.dispose()  # nothing opened before the fork may be used after it
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
            sock,
            where,
        )
    application = _application(args, settings, credentials, db)
    return processes.serve_in_one_process(application, sock, uvicorn_settings(settings), where)


def _links_to_this_server(settings: config.Settings, host: str, port: int) -> config.Settings:
    """Without [notifications] public_url, links in messages lead to the address this server listens on."""
    # The default names the default port: `serve --port 8080` would otherwise mail links that lead nowhere.
    if settings.notifications.public_url != DEFAULT_PUBLIC_URL:
        return settings
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    notifications = dataclasses.replace(settings.notifications, public_url=f"http://{_url_host(reachable)}:{port}")
    return dataclasses.replace(settings, notifications=notifications)


def _url_host(host: str) -> str:
    """The host as a URL writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


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
    transports = channels.transports_for(invoker.settings, invoker.db, invoker.clock)
    for channel_type, transport in transports.items():
        log.info("%s pages go through %s", channel_type, transport.describe())
    return Worker(invoker.db, invoker.clock, invoker.invoke, invoker.settings, transports)


def worker(args: argparse.Namespace) -> int:
    """Run only the job engine."""
    _make_undumpable()
    settings = _settings(args)
    if not _scripts_isolated(settings):
        return 2
    if args.metrics_port:
        from incidentd.server import processes

        # Like serve's port: one in use stops the command before the database is created or migrated.
        processes.listening_socket(args.metrics_host, args.metrics_port, ("--metrics-host", "--metrics-port")).close()
    db = open_database(settings)
    clock = SystemClock()
    if args.metrics_port:
        # The worker counts its deliveries in its own process; this is where Prometheus reads them.
        from prometheus_client import start_http_server

        try:
            start_http_server(args.metrics_port, args.metrics_host, registry=metrics.registry(db, clock))
        except OSError as exc:
            raise config.ConfigError(
                f"can't serve metrics on {args.metrics_host} port {args.metrics_port} ({exc.strerror}): "
                "choose another --metrics-port or --metrics-host"
            ) from None
        log.info("worker metrics on http://%s:%s/metrics", args.metrics_host, args.metrics_port)
    _announce(settings)
    migrate.upgrade(db)
    engine = _worker(Invoker(db, clock, settings))

    def stop(signum: int, _frame: object) -> None:
        log.info("incidentd stopping (%s)", signal.Signals(signum).name)
        engine.stop()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    log.info("incidentd worker %s running", engine.owner)
    engine.run_forever()
    log.info("incidentd stopped")
    return 0


def migrate_command(args: argparse.Namespace) -> int:
    """Apply the schema migrations and exit."""
    db = open_database(_settings(args))
    migrate.upgrade(db)
    log.info("database is at the newest schema")
    return 0


def check_paging_command(args: argparse.Namespace) -> int:
    """Print the set-ups that would page nobody; exit 1 when there are any, so that CI can run it."""
    import json

    from incidentd.ops import paging_check

    settings = _settings(args)
    # A check only reads: it never creates or migrates a database, and one at another schema would be misread.
    db = open_database(settings, create=False)
    problem = database_check.schema_problem(db)
    if problem is not None:
        log.error("can't check paging: the database %s; `incidentd migrate` brings it up to date", problem)
        db.dispose()
        return 2
    transports = channels.transports_for(settings, db)  # in development mode, the outbox delivers
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

    settings = _settings(args)
    open_database(settings).dispose()  # a database that can't work is refused in one line, before any change
    return users.run(args, settings)


def backup_command(args: argparse.Namespace) -> int:
    """Copy a live SQLite database to a file, or say how to dump PostgreSQL."""
    from incidentd import backup_command as backups

    settings = _settings(args)
    database_check.parse(settings.database_url)  # a URL that names no database incidentd can use, in one line
    return backups.run(args, settings)


def outbox_command(args: argparse.Namespace) -> int:
    """Print the development outbox: pages, activation codes and notices that had no transport."""
    from incidentd import outbox_command as outbox

    return outbox.run(args, _settings(args))  # it opens the database itself, never creating or migrating it


def build_parser() -> argparse.ArgumentParser:
    """The command line: every option says its default."""
    parser = arguments.Parser(prog="incidentd", description="A self-hosted AWS Incident Manager.")
    parser.add_argument("--version", action="version", version=f"incidentd {metadata.version('incidentd')}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, func, help_text in (
        ("serve", serve, "serve the AWS APIs (with an embedded worker unless --no-worker)"),
        ("worker", worker, "run the job engine only"),
        ("migrate", migrate_command, "apply database migrations and exit"),
        ("check-paging", check_paging_command, "list contacts, plans and rotations that would page nobody"),
        ("policy", policy_command, "show the built-in policies, or simulate what a key may do"),
        ("user", user_command, "add, list, change or remove the console's users"),
        ("outbox", outbox_command, "print the development outbox (pages and codes that had no transport)"),
        ("backup", backup_command, "copy a live SQLite database to a file (or say how to dump PostgreSQL)"),
    ):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(func=func)
        _common_options(sub, name)
        if name == "policy":
            from incidentd import policy_command as policies

            policies.add_arguments(sub)
        if name == "user":
            from incidentd import user_command as users

            users.add_arguments(sub)
        if name == "outbox":
            from incidentd import outbox_command as outbox

            outbox.add_arguments(sub)
        if name == "backup":
            from incidentd import backup_command as backups

            backups.add_arguments(sub)
        if name == "check-paging":
            sub.add_argument("--format", choices=("text", "json"), default="text", help="text or json (default: text)")
        if name == "worker":
            sub.add_argument(
                "--metrics-port",
                type=arguments.port,
                help="serve the worker's Prometheus metrics on this port (default: none, no metrics)",
            )
            sub.add_argument(
                "--metrics-host", default="127.0.0.1", help="the address for --metrics-port (default: 127.0.0.1)"
            )
        if name == "serve":
            sub.add_argument(
                "--host",
                default="127.0.0.1",
                help="the address to listen on; without credentials only a loopback one (default: 127.0.0.1)",
            )
            sub.add_argument(
                "--port", type=arguments.port, default=4570, help="the TCP port to listen on (default: 4570)"
            )
            sub.add_argument(
                "--no-worker", action="store_true", help="don't run the job engine in this process (default: run it)"
            )
            sub.add_argument(
                "--processes",
                type=arguments.count,
                default=1,
                help="serving processes sharing the port; see the docs on workers and SQLite (default: 1)",
            )
    return parser


# The commands that open the database, and so take --database.
DATABASE_COMMANDS = frozenset({"serve", "worker", "migrate", "check-paging", "user", "outbox", "backup"})


def _common_options(sub: argparse.ArgumentParser, name: str) -> None:
    """The options a command shares with others: only those that mean something to it."""
    if name in DATABASE_COMMANDS:
        default = str(config.default_database_path()).replace("%", "%%")
        sub.add_argument(
            "--database",
            help="sqlite:///PATH or postgresql://USER@HOST:PORT/NAME "
            f"(default: INCIDENTD_DATABASE_URL, else the config's database_url, else the file {default})",
        )
    sub.add_argument("--config", help="the TOML config file (default: INCIDENTD_CONFIG, else none)")
    sub.add_argument(
        "--log-format",
        choices=FORMATS,
        help="text or json lines (default: INCIDENTD_LOG_FORMAT, else [logging] format, else text)",
    )
    sub.add_argument(
        "--log-level",
        choices=LEVELS,
        help="the lowest level logged (default: INCIDENTD_LOG_LEVEL, else [logging] level, else info)",
    )
    if name == "serve":  # the only command that answers AWS API requests
        sub.add_argument(
            "--access-log",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="log one line per AWS API request (default: INCIDENTD_ACCESS_LOG, else [logging] access, else off)",
        )


def _set_up_logging(args: argparse.Namespace) -> None:
    """Log as --log-format, INCIDENTD_LOG_FORMAT or the config file's [logging] section say."""
    try:
        chosen = config.load(args.config).logging
    except config.ConfigError:
        # The command reports the broken file once logging is set up: the flags and the environment do meanwhile
        # (a bad INCIDENTD_LOG_* raises here, and main reports it in the default format).
        chosen = config.LogSettings.read({}, os.environ)
    logs.configure(chosen.overridden(args.log_format, args.log_level, getattr(args, "access_log", None)))


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
    except (config.ConfigError, migrate.SchemaError) as exc:
        log.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
