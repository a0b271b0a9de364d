"""The schema. Every row of tenant data carries its account_id; times are integer epoch milliseconds."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from incidentd import compact_json

metadata = sa.MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY, so BigInteger ids are plain INTEGER there.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class JsonText(TypeDecorator[Any]):
    """JSON stored as text on every database: portable, and read back exactly as written."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        return None if value is None else compact_json.dumps_text(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> Any:
        return None if value is None else load_json(value)


def load_json(text: str) -> Any:
    """A JSON text this server wrote: json.loads without its Python layers (reads decode thousands a second)."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return json.loads(text)  # not a JSON value at its start: json.loads says why
    if end != len(text):
        return json.loads(text)  # whitespace or more after the value: json.loads accepts or rejects it
    return value


# The C scanner json.loads itself ends in; typeshed does not declare it.
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _account() -> sa.Column[str]:
    return sa.Column("account_id", sa.String(12), nullable=False)


replication_sets = sa.Table(
    "replication_sets",
    metadata,
    sa.Column("account_id", sa.String(12), primary_key=True),
    sa.Column("arn", sa.String(1000), nullable=False),
    sa.Column("doc", JsonText, nullable=False),
)

response_plans = sa.Table(
    "response_plans",
    metadata,
    _account(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "name"),
)

incidents = sa.Table(
    "incidents",
    metadata,
    _account(),
    sa.Column("arn", sa.String(1000), nullable=False),
    sa.Column("creation_ms", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("impact", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(1000), nullable=False),
    sa.Column("dedupe_string", sa.String(1000), nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.Column("title", sa.String(200), nullable=True),  # the console searches by it
    sa.Column("plan_name", sa.String(200), nullable=True),  # and filters by the plan named in the ARN
    sa.PrimaryKeyConstraint("account_id", "arn"),
    # Newest first with a stable tie-break: the order ListIncidentRecords pages through by keyset.
    sa.Index("ix_incidents_account_created", "account_id", "creation_ms", "arn"),
    sa.Index("ix_incidents_account_status_created", "account_id", "status", "creation_ms", "arn"),
    sa.Index("ix_incidents_open_dedupe", "account_id", "dedupe_string", "status"),
    sa.Index("ix_incidents_account_plan_created", "account_id", "plan_name", "creation_ms", "arn"),
)

timeline_events = sa.Table(
    "timeline_events",
    metadata,
    _account(),
    sa.Column("incident_arn", sa.String(1000), nullable=False),
    sa.Column("event_id", sa.String(50), nullable=False),
    sa.Column("event_time_ms", sa.BigInteger, nullable=False),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "incident_arn", "event_id"),
    sa.Index("ix_timeline_events_time", "account_id", "incident_arn", "event_time_ms", "event_id"),
)

related_items = sa.Table(
    "related_items",
    metadata,
    _account(),
    sa.Column("incident_arn", sa.String(1000), nullable=False),
    sa.Column("generated_id", sa.String(200), nullable=False),
    sa.Column("added_ms", sa.BigInteger, nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "incident_arn", "generated_id"),
)

tags = sa.Table(
    "tags",
    metadata,
    _account(),
    sa.Column("resource_arn", sa.String(2048), nullable=False),
    sa.Column("key", sa.String(128), nullable=False),
    sa.Column("value", sa.String(256), nullable=False),
    sa.PrimaryKeyConstraint("account_id", "resource_arn", "key"),
)

resource_policies = sa.Table(
    "resource_policies",
    metadata,
    _account(),
    sa.Column("resource_arn", sa.String(1000), nullable=False),
    sa.Column("policy_id", sa.String(64), nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "policy_id"),
    sa.Index("ix_resource_policies_arn", "account_id", "resource_arn"),
)

# Who each resource policy shares a plan or contact with, one row per named account or principal: the consumer's
# listings find what is shared with it by this index, without reading every account's policies.
shares = sa.Table(
    "shares",
    metadata,
    _account(),  # the owner's
    sa.Column("resource_arn", sa.String(2048), nullable=False),
    sa.Column("source", sa.String(64), nullable=False),  # the plan policy's id, or "contact" for a contact's policy
    sa.Column("statement", sa.Integer, nullable=False),  # the statement's place in the policy
    sa.Column("consumer", sa.String(2048), nullable=False),  # an account id or an IAM principal ARN
    sa.Column("actions", JsonText, nullable=False),  # the actions granted, lower-cased
    sa.Column("resources", JsonText, nullable=False),  # the resource patterns they are granted on
    sa.PrimaryKeyConstraint("account_id", "resource_arn", "source", "statement", "consumer"),
    sa.Index("ix_shares_consumer", "consumer", "account_id", "resource_arn"),
)

idempotency_tokens = sa.Table(
    "idempotency_tokens",
    metadata,
    _account(),
    sa.Column("operation", sa.String(64), nullable=False),
    sa.Column("token", sa.String(2048), nullable=False),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("response", JsonText),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "operation", "token"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _account(),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("payload", JsonText, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("run_at_ms", sa.BigInteger, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lease_owner", sa.String(128)),
    sa.Column("lease_expires_ms", sa.BigInteger),
    sa.Column("last_error", sa.Text),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("finished_ms", sa.BigInteger),
    # The claim query: due jobs of the kinds a worker knows, by state, oldest run_at first. Jobs of kinds no
    # running version handles can pile up; with kind in the key, they cost the claim nothing.
    sa.Index("ix_jobs_claim", "state", "kind", "run_at_ms"),
    sa.Index("ix_jobs_lease", "state", "kind", "lease_expires_ms"),
    sa.Index("ix_jobs_account", "account_id"),
    # The fair claim: each account's oldest due job (store/queue.py), found by a loose index scan over accounts.
    sa.Index("ix_jobs_fair", "state", "account_id", "run_at_ms"),
)

# ssm-contacts. Contacts are regional (aws-behaviour §4.1): the region is part of every ARN, and a contact's
# alias is unique within its account and region.

contacts = sa.Table(
    "contacts",
    metadata,
    _account(),
    sa.Column("arn", sa.String(2048), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("alias", sa.String(255), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "arn"),
    sa.UniqueConstraint("account_id", "region", "alias", name="uq_contacts_alias"),
)

contact_channels = sa.Table(
    "contact_channels",
    metadata,
    _account(),
    sa.Column("arn", sa.String(2048), nullable=False),
    sa.Column("contact_arn", sa.String(2048), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("activation_code", sa.String(10)),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "arn"),
    sa.Index("ix_contact_channels_contact", "account_id", "contact_arn", "created_ms", "arn"),
)

contact_policies = sa.Table(
    "contact_policies",
    metadata,
    _account(),
    sa.Column("contact_arn", sa.String(2048), nullable=False),
    sa.Column("policy", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "contact_arn"),
)

rotations = sa.Table(
    "rotations",
    metadata,
    _account(),
    sa.Column("arn", sa.String(2048), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "arn"),
    sa.Index("ix_rotations_name", "account_id", "region", "name", "arn"),
)

rotation_overrides = sa.Table(
    "rotation_overrides",
    metadata,
    _account(),
    sa.Column("rotation_arn", sa.String(2048), nullable=False),
    sa.Column("override_id", sa.String(39), nullable=False),
    sa.Column("start_ms", sa.BigInteger, nullable=False),
    sa.Column("end_ms", sa.BigInteger, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "rotation_arn", "override_id"),
    sa.Index("ix_rotation_overrides_time", "account_id", "rotation_arn", "start_ms"),
)

engagements = sa.Table(
    "engagements",
    metadata,
    _account(),
    sa.Column("arn", sa.String(2048), nullable=False),
    sa.Column("contact_arn", sa.String(2048), nullable=False),
    sa.Column("incident_id", sa.String(1024)),
    sa.Column("start_ms", sa.BigInteger, nullable=False),
    sa.Column("stop_ms", sa.BigInteger),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "arn"),
    # ListEngagements: newest first, optionally of one incident.
    sa.Index("ix_engagements_start", "account_id", "start_ms", "arn"),
    sa.Index("ix_engagements_incident", "account_id", "incident_id", "start_ms"),
)

pages = sa.Table(
    "pages",
    metadata,
    _account(),
    sa.Column("arn", sa.String(2048), nullable=False),
    sa.Column("engagement_arn", sa.String(2048), nullable=False),
    sa.Column("contact_arn", sa.String(2048), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("sent_ms", sa.BigInteger),
    sa.Column("delivery_ms", sa.BigInteger),
    sa.Column("read_ms", sa.BigInteger),
    sa.Column("accept_code", sa.String(10), nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "arn"),
    sa.Index("ix_pages_engagement", "account_id", "engagement_arn", "created_ms", "arn"),
    sa.Index("ix_pages_contact", "account_id", "contact_arn", "created_ms", "arn"),
    # SMS replies: the unread pages that went out with a code, in any account (the phone number decides which).
    sa.Index("ix_pages_accept_code", "accept_code", "read_ms"),
)

page_receipts = sa.Table(
    "page_receipts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _account(),
    sa.Column("page_arn", sa.String(2048), nullable=False),
    sa.Column("receipt_ms", sa.BigInteger, nullable=False),
    sa.Column("receipt_type", sa.String(16), nullable=False),
    sa.Column("receipt_info", sa.String(2048)),
    sa.Column("channel_arn", sa.String(2048)),
    sa.Index("ix_page_receipts_page", "account_id", "page_arn", "id"),
)

# ssm (the runbook slice). Documents are regional like every ssm resource; each version is a row, and the head row
# holds what all versions share (default and latest version, tags). Automation executions keep their document as
# it was at start, so later updates or a deletion don't change a run in flight.

ssm_documents = sa.Table(
    "ssm_documents",
    metadata,
    _account(),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("default_version", sa.Integer, nullable=False),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "region", "name"),
)

ssm_document_versions = sa.Table(
    "ssm_document_versions",
    metadata,
    _account(),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("version_name", sa.String(128)),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "region", "name", "version"),
)

automation_executions = sa.Table(
    "automation_executions",
    metadata,
    _account(),
    sa.Column("execution_id", sa.String(36), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("document_name", sa.String(128), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("start_ms", sa.BigInteger, nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "execution_id"),
    # DescribeAutomationExecutions: newest first with a stable tie-break.
    sa.Index("ix_automation_executions_start", "account_id", "region", "start_ms", "execution_id"),
    # The quotas: an account's running and queued executions, counted without reading its finished ones.
    sa.Index("ix_automation_executions_live", "account_id", "region", "status", "start_ms"),
)

automation_steps = sa.Table(
    "automation_steps",
    metadata,
    _account(),
    sa.Column("execution_id", sa.String(36), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("doc", JsonText, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "execution_id", "seq"),
)

# The console's users, by the name they sign in with; each belongs to one account with one role.
console_users = sa.Table(
    "console_users",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("contact_alias", sa.String(255), nullable=True),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)

# Signed-in browsers. Only a hash of the cookie's id is stored: a copy of the database signs nobody in.
console_sessions = sa.Table(
    "console_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.String(255), nullable=False),
    sa.Column("source", sa.String(8), nullable=False),  # "local" or "oidc"
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("seen_ms", sa.BigInteger, nullable=False),
    sa.Column("contact_alias", sa.String(255), nullable=True),  # a single sign-on's contact claim ("my shifts")
    sa.Index("ix_console_sessions_user", "source", "user_name"),
    sa.Index("ix_console_sessions_seen", "seen_ms"),
)

# Single sign-ons between the redirect to the provider and its return, on whichever node the browser comes back to.
console_sign_ins = sa.Table(
    "console_sign_ins",
    metadata,
    sa.Column("state", sa.String(64), primary_key=True),
    sa.Column("verifier", sa.String(128), nullable=False),
    sa.Column("nonce", sa.String(64), nullable=False),
    sa.Column("next_path", sa.String(2048), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Index("ix_console_sign_ins_created", "created_ms"),
)

# What each person chose in the console, by their user ARN (local and single sign-on users alike).
console_preferences = sa.Table(
    "console_preferences",
    metadata,
    sa.Column("user_arn", sa.String(2048), primary_key=True),
    sa.Column("time_zone", sa.String(64), nullable=False),
)

# Calendar feeds (iCalendar subscriptions). Only a hash of the URL's secret token is stored: the URL is shown once.
# A feed reads as the person who made it, so it names them (by source and user name) and the account it belongs to;
# role_ms is when their role was last confirmed (creation, or a single sign-on since), role the role then.
calendar_feeds = sa.Table(
    "calendar_feeds",
    metadata,
    sa.Column("feed_id", sa.String(32), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("source", sa.String(8), nullable=False),  # "local" or "oidc"
    sa.Column("user_name", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # "person" or "schedule"
    sa.Column("target", sa.String(255), nullable=False),  # the contact's or the schedule's alias
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("role_ms", sa.BigInteger, nullable=False),
    sa.Column("fetched_ms", sa.BigInteger, nullable=True),
    sa.Index("ix_calendar_feeds_token", "token_hash", unique=True),
    sa.Index("ix_calendar_feeds_user", "source", "user_name", "account_id"),
)

# The development outbox: what a server without credentials would have sent through a transport it doesn't have
# (pages, activation codes, chat notices), kept for the developer to read with `incidentd outbox` or the console.
# Bounded per account (store/outbox.py keeps the newest KEEP_PER_ACCOUNT), so no tenant can grow it without limit.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _account(),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # "page", "activation" or "notification"
    sa.Column("channel_type", sa.String(16), nullable=False),  # EMAIL, SMS, VOICE, or SNS for a topic's notice
    sa.Column("address", sa.String(2048), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("code", sa.String(16), nullable=False),  # the accept or activation code; empty for a notice
    sa.Column("reference", sa.String(2048), nullable=False),  # the page, channel or incident ARN
    sa.Index("ix_outbox_account", "account_id", "id"),
)
