"""The `incidentd` command: serve, worker, migrate."""

from __future__ import annotations

import argparse
import gc
import ipaddress
import logging
import os
import signal
import socket
import sys

from incidentd import channels, config
from incidentd.clock import SystemClock
from incidentd.engine.worker import Worker
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
        settings.database_url = args.database
    return settings


def serve(args: argparse.Namespace) -> int:
    """Run the API (and, unless --no-worker, the job engine) until interrupted."""
    import uvicorn

    from incidentd.server.asgi import Application
    from incidentd.server.dispatch import Dispatcher
    from incidentd.server.http_routes import plain_routes

    settings = _settings(args)
    credentials = dict(settings.credentials)
    if not credentials:
        if not _is_loopback(args.host):
            log.error(
                "no credentials configured: set INCIDENTD_CREDENTIALS or [[credentials]] in the config "
                "file; only a loopback address may run with the development key pair"
            )
            return 2
        credentials[config.DEV_CREDENTIAL.access_key_id] = config.DEV_CREDENTIAL
        log.warning(
            "no credentials configured: accepting the development key pair access key 'test', "
            "secret 'test' for account 000000000000 (loopback only)"
        )
    db = Database(settings.database_url)
    migrate.upgrade(db)
    clock = SystemClock()
    wake = lambda: None  # noqa: E731
    if not args.no_worker:
        worker = _worker(db, clock, settings)
        worker.start_thread()
        wake = worker.wake.set
    dispatcher = Dispatcher(settings, db, clock, credentials, on_write=wake)
    log.info("incidentd serving on http://%s:%s (database %s)", args.host, args.port, db.url.split("@")[-1])
    # The service models and everything loaded so far live as long as the process: keep the cyclic garbage
    # collector from walking them again and again under load.
    gc.freeze()
    uvicorn.run(
        Application(dispatcher, routes=plain_routes(dispatcher)),
        host=args.host,
        port=args.port,
        log_level="warning",
        http="httptools",
        loop="uvloop",
        timeout_keep_alive=30,
        access_log=False,
    )
    return 0


def _worker(db: Database, clock: SystemClock, settings: config.Settings) -> Worker:
    """A worker with the delivery transports the settings configure."""
    transports = channels.transports_from_settings(os.environ, settings.raw)
    for channel_type, transport in transports.items():
        log.info("%s pages go through %s", channel_type, transport.describe())
    return Worker(db, clock, settings, services={"transports": transports})


def worker(args: argparse.Namespace) -> int:
    """Run only the job engine."""
    settings = _settings(args)
    db = Database(settings.database_url)
    migrate.upgrade(db)
    engine = _worker(db, SystemClock(), settings)

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


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="incidentd", description="A self-hosted AWS Incident Manager.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, func, help_text in (
        ("serve", serve, "serve the AWS APIs (with an embedded worker unless --no-worker)"),
        ("worker", worker, "run the job engine only"),
        ("migrate", migrate_command, "apply database migrations and exit"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.set_defaults(func=func)
        sub.add_argument("--database", help="sqlite:///path or postgresql://… (default: ./data/incidentd.db)")
        sub.add_argument("--config", help="TOML config file (or INCIDENTD_CONFIG)")
        if name == "serve":
            sub.add_argument("--host", default="127.0.0.1")
            sub.add_argument("--port", type=int, default=4570)
            sub.add_argument("--no-worker", action="store_true", help="don't run the job engine in this process")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (config.ConfigError, channels.ChannelConfigError) as exc:
        log.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
