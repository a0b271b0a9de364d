"""`incidentd policy`: print a built-in policy, or ask what a key may do, as IAM's policy simulator answers."""

from __future__ import annotations

import argparse

from incidentd import config
from incidentd.auth import builtin
from incidentd.auth.policy import Decision, evaluate


def add_arguments(sub: argparse.ArgumentParser) -> None:
    """The `policy` command's own sub-commands."""
    actions = sub.add_subparsers(dest="policy_command", required=True)
    actions.add_parser("list", help="the built-in policies' names")
    show = actions.add_parser("show", help="print a built-in policy's document")
    show.add_argument("name", choices=builtin.names(), metavar="NAME", help=", ".join(builtin.names()))
    simulate = actions.add_parser("simulate", help="whether a key may take an action on a resource, and why")
    simulate.add_argument("--key", required=True, help="an access key id of the config")
    # Also accepted after `simulate`; SUPPRESS keeps a --config given before it (argparse would reset it).
    simulate.add_argument(
        "--config", default=argparse.SUPPRESS, help="the TOML config file (default: INCIDENTD_CONFIG, else none)"
    )
    simulate.add_argument("action", help="e.g. ssm-incidents:StartIncident")
    simulate.add_argument("resource", help="an ARN, or * for listings")
    simulate.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a condition key's value, e.g. aws:ResourceTag/team=payments; repeatable (default: none, absent keys "
        "stay absent)",
    )


def run(args: argparse.Namespace, settings: config.Settings) -> int:
    """Carry out `incidentd policy ...`; the exit status."""
    if args.policy_command == "list":
        print("\n".join(builtin.names()))
        return 0
    if args.policy_command == "show":
        print(builtin.text(args.name))
        return 0
    credential = settings.credentials.get(args.key)
    if credential is None and args.key == config.DEV_CREDENTIAL.access_key_id and not settings.credentials:
        credential = config.DEV_CREDENTIAL
    if credential is None:
        raise config.ConfigError(f"no access key {args.key!r} in the config")
    principal = settings.principal(args.key, credential.account_id)
    if principal.policies is None:
        print(f"allowed: {principal.arn} has no policies and full access to account {principal.account_id}")
        return 0
    given: dict[str, str | bool | list[str]] = {"aws:securetransport": settings.access.secure_transport}
    given.update(_pair(item) for item in args.context)
    context = _Context(given, principal.account_id, principal.arn)
    decision = evaluate(principal.policies, args.action, args.resource, context)
    print(f"{'allowed' if decision.allowed else 'denied'}: {_reason(decision)}")
    return 0 if decision.allowed else 1


def _reason(decision: Decision) -> str:
    """Which statement decided, or that none did."""
    if decision.policy is None:
        return "no statement allows it (implicit deny)"
    effect = "explicit deny" if decision.explicit_deny else "allowed"
    return f"{effect} by statement {decision.statement} of policy {decision.policy}"


def _pair(text: str) -> tuple[str, str | list[str]]:
    """KEY=VALUE, the key's name lower-cased up to its tag key, a comma-separated value for aws:TagKeys."""
    key, sep, value = text.partition("=")
    if not sep:
        raise config.ConfigError(f"--context {text!r} must be KEY=VALUE")
    prefix, slash, tag = key.partition("/")
    name = prefix.lower() + slash + tag
    return name, value.split(",") if name == "aws:tagkeys" else value


class _Context:
    """The condition keys the command line gives, the principal's own, and aws:SecureTransport as the config says."""

    def __init__(self, given: dict[str, str | bool | list[str]], account: str, arn: str) -> None:
        """The values given by key, and the principal's account and ARN."""
        self.given = given
        self.account = account
        self.arn = arn

    def value(self, key: str) -> str | bool | list[str] | None:
        """The value given for a key, the principal's account and ARN, else absent."""
        if key in self.given:
            found = self.given[key]
            if key == "aws:securetransport" and isinstance(found, str):
                return found.lower() == "true"
            return found
        if key == "aws:principalaccount":
            return self.account
        if key == "aws:principalarn":
            return self.arn
        return None
