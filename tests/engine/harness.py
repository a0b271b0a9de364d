"""Calls operations in-process on a fake clock, and runs the worker: escalation tests without sleeping."""

from __future__ import annotations

from typing import Any

from incidentd.api.invoke import Invoker
from incidentd.auth.principals import Principal
from incidentd.channels import MemoryTransport, Transports
from incidentd.clock import FakeClock
from incidentd.config import Settings
from incidentd.engine.worker import Worker
from incidentd.protocol import model
from incidentd.protocol.errors import ServiceError
from incidentd.store.db import Database

START_MS = 1_800_000_000_000  # 2027-01-15T08:00:00Z, a Friday
MINUTE = 60_000


class Harness:
    """One account of an incidentd whose clock the test moves and whose pages land in memory."""

    def __init__(self, db: Database, account_id: str, region: str = "us-east-1") -> None:
        self.db = db
        self.account_id = account_id
        self.region = region
        self.clock = FakeClock(START_MS)
        self.email = MemoryTransport("email")
        self.sms = MemoryTransport("sms")
        self.voice = MemoryTransport("voice")
        self.invoker = Invoker(db, self.clock, Settings(region=region))
        self.principal = Principal.user(account_id, "test")
        self.worker = self.new_worker()

    def new_worker(self) -> Worker:
        """A worker as a freshly started process would have: nothing in memory but the database."""
        transports = Transports({"EMAIL": self.email, "SMS": self.sms, "VOICE": self.voice})
        return Worker(self.db, self.clock, self.invoker.invoke, self.invoker.settings, transports)

    def call(self, name: str, /, service: str = model.CONTACTS, **params: Any) -> dict[str, Any]:
        """Run one operation as the account would through the API: invoke, validated, in one transaction."""
        return self.invoker.invoke(service, name, params, self.principal, region=self.region)

    def refused(self, name: str, /, **params: Any) -> ServiceError:
        """The error an operation raises."""
        try:
            self.call(name, **params)
        except ServiceError as error:
            return error
        raise AssertionError(f"{name} succeeded")

    def run(self, minutes: float = 0) -> int:
        """Move the clock forward and run every job that is due; how many ran."""
        self.clock.advance(int(minutes * MINUTE))
        return self.worker.run_once()

    def onboard(self) -> None:
        """Create the account's replication set."""
        self.call("CreateReplicationSet", service=model.INCIDENTS, regions={self.region: {}})

    def person(self, alias: str, *channels: tuple[str, str]) -> tuple[str, list[str]]:
        """A personal contact with activated channels (type, address); its ARN and channel ARNs."""
        arn = self.call("CreateContact", Alias=alias, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
        channel_arns = []
        for kind, address in channels:
            channel = self.call(
                "CreateContactChannel",
                ContactId=arn,
                Name=f"{alias} {kind.lower()}",
                Type=kind,
                DeliveryAddress={"SimpleAddress": address},
                DeferActivation=True,
            )["ContactChannelArn"]
            self.activate(channel)
            channel_arns.append(channel)
        return arn, channel_arns

    def activate(self, channel_arn: str) -> None:
        """Activate a channel with the code it was sent."""
        self.call("SendActivationCode", ContactChannelId=channel_arn)
        self.run()
        sent = self.email.sent + self.sms.sent + self.voice.sent
        code = next(m.code for m in reversed(sent) if m.reference == channel_arn and m.is_activation)
        self.call("ActivateContactChannel", ContactChannelId=channel_arn, ActivationCode=code)
        for transport in (self.email, self.sms, self.voice):
            transport.clear()

    def pages_to(self, transport: MemoryTransport) -> list[str]:
        """The addresses pages (not activation codes) went to, in order."""
        return [m.address for m in transport.sent if not m.is_activation]
