"""`incidentd user`: the console's local users, kept in the database so that every node knows them."""

from __future__ import annotations

import argparse
import getpass
import re
import sys

from incidentd import arguments, config
from incidentd.auth.roles import POLICY_OF_ROLE, ROLES
from incidentd.clock import SystemClock
from incidentd.console import passwords
from incidentd.store import console_sessions, console_users, migrate
from incidentd.store.db import Database

# The characters IAM allows in a user name: the name appears in createdBy ARNs (arn:aws:iam::…:user/NAME).
NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


def add_arguments(sub: argparse.ArgumentParser) -> None:
    """The `user` command's own sub-commands."""
    actions = sub.add_subparsers(dest="user_command", required=True)
    add = actions.add_parser("add", help="add a console user (the password is asked for, or read from stdin)")
    add.add_argument("name", help="the user name people sign in with (letters, digits, +=,.@_-; at most 64)")
    add.add_argument(
        "--account", required=True, type=arguments.account_id, help="the 12-digit account the user works in"
    )
    add.add_argument("--role", required=True, choices=ROLES, help="viewer, responder or admin")
    add.add_argument("--contact", help="the alias of the user's own contact, for 'my shifts' (default: none)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    actions.add_parser("list", help="list the console users")
    passwd = actions.add_parser("passwd", help="set a user's password (signs their sessions out)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    remove = actions.add_parser("remove", help="remove a user and end their sessions")
    remove.add_argument("name")
    for sub_command in actions.choices.values():
        # Also accepted after the sub-command; SUPPRESS keeps a value given before it (argparse would reset it).
        sub_command.add_argument(
            "--database",
            default=argparse.SUPPRESS,
            help="sqlite:///PATH or postgresql://USER@HOST:PORT/NAME (default: as `incidentd user --help` says)",
        )
        sub_command.add_argument(
            "--config", default=argparse.SUPPRESS, help="the TOML config file (default: INCIDENTD_CONFIG, else none)"
        )


def run(args: argparse.Namespace, settings: config.Settings) -> int:
    """Carry out `incidentd user ...`; the exit status."""
    db = Database(settings.database_url)
    try:
        migrate.upgrade(db)  # as serve does: the users live in the schema's newest tables
        return _COMMANDS[args.user_command](args, db)
    finally:
        db.dispose()


def _add(args: argparse.Namespace, db: Database) -> int:
    if not NAME.match(args.name):
        return _fail(f"'{args.name}' can't be a user name: use letters, digits and +=,.@_- (at most 64)")
    password = _password(args.password_stdin)
    if password is None:
        return 1
    now = SystemClock().now_ms()
    user = console_users.User(
        args.name, args.account, args.role, passwords.hash_password(password), args.contact, now, now
    )
    with db.write() as conn:
        if not console_users.add(conn, user):
            return _fail(f"there is already a user named '{args.name}'")
    print(f"added {args.name}: account {args.account}, role {args.role} ({POLICY_OF_ROLE[args.role]})")
    return 0


def _list(args: argparse.Namespace, db: Database) -> int:
    with db.read() as conn:
        users = console_users.all_users(conn)
    if not users:
        print("no console users yet: incidentd user add NAME --account ACCOUNT --role ROLE")
        return 0
    width = max(len(user.name) for user in users)
    print(f"{'NAME':<{width}}  ACCOUNT       ROLE       CONTACT")
    for user in users:
        print(f"{user.name:<{width}}  {user.account_id}  {user.role:<9}  {user.contact_alias or '-'}")
    return 0


def _passwd(args: argparse.Namespace, db: Database) -> int:
    with db.read() as conn:
        if console_users.get(conn, args.name) is None:
            return _fail(f"there is no user named '{args.name}'")
    password = _password(args.password_stdin)
    if password is None:
        return 1
    with db.write() as conn:
        console_users.set_password(conn, args.name, passwords.hash_password(password), SystemClock().now_ms())
        ended = console_sessions.end_all_of(conn, "local", args.name)
    print(f"changed the password of {args.name}; signed out {ended} session(s)")
    return 0


def _remove(args: argparse.Namespace, db: Database) -> int:
    with db.write() as conn:
        if not console_users.remove(conn, args.name):
            return _fail(f"there is no user named '{args.name}'")
        ended = console_sessions.end_all_of(conn, "local", args.name)
    print(f"removed {args.name}; signed out {ended} session(s)")
    return 0


def _password(from_stdin: bool) -> str | None:
    """A new password from standard input (its first line) or from two prompts that agree; None if unusable."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            _fail("the two passwords differ")
            return None
    problem = passwords.problem(password)
    if problem is not None:
        _fail(problem)
        return None
    return password


def _fail(message: str) -> int:
    print(f"incidentd user: {message}", file=sys.stderr)
    return 1


_COMMANDS = {"add": _add, "list": _list, "passwd": _passwd, "remove": _remove}
