"""The initial schema: ssm-incidents resources, idempotency tokens and the job queue.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "idempotency_tokens",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=2048), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "operation", "token"),
    )
    op.create_table(
        "incidents",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("arn", sa.String(length=1000), nullable=False),
        sa.Column("creation_ms", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=1000), nullable=False),
        sa.Column("dedupe_string", sa.String(length=1000), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "arn"),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_account_created", ["account_id", "creation_ms", "arn"], unique=False)
        batch_op.create_index(
            "ix_incidents_account_status_created",
            ["account_id", "status", "creation_ms", "arn"],
            unique=False,
        )
        batch_op.create_index("ix_incidents_open_dedupe", ["account_id", "dedupe_string", "status"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("run_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_expires_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("finished_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_account", ["account_id"], unique=False)
        batch_op.create_index("ix_jobs_claim", ["state", "kind", "run_at_ms"], unique=False)
        batch_op.create_index("ix_jobs_lease", ["state", "kind", "lease_expires_ms"], unique=False)

    op.create_table(
        "related_items",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("incident_arn", sa.String(length=1000), nullable=False),
        sa.Column("generated_id", sa.String(length=200), nullable=False),
        sa.Column("added_ms", sa.BigInteger(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "incident_arn", "generated_id"),
    )
    op.create_table(
        "replication_sets",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("arn", sa.String(length=1000), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_table(
        "resource_policies",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("resource_arn", sa.String(length=1000), nullable=False),
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "policy_id"),
    )
    with op.batch_alter_table("resource_policies", schema=None) as batch_op:
        batch_op.create_index("ix_resource_policies_arn", ["account_id", "resource_arn"], unique=False)

    op.create_table(
        "response_plans",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "name"),
    )
    op.create_table(
        "tags",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("resource_arn", sa.String(length=2048), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "resource_arn", "key"),
    )
    op.create_table(
        "timeline_events",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("incident_arn", sa.String(length=1000), nullable=False),
        sa.Column("event_id", sa.String(length=50), nullable=False),
        sa.Column("event_time_ms", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "incident_arn", "event_id"),
    )
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_timeline_events_time",
            ["account_id", "incident_arn", "event_time_ms", "event_id"],
            unique=False,
        )


def downgrade() -> None:

    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.drop_index("ix_timeline_events_time")

    op.drop_table("timeline_events")
    op.drop_table("tags")
    op.drop_table("response_plans")
    with op.batch_alter_table("resource_policies", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_policies_arn")

    op.drop_table("resource_policies")
    op.drop_table("replication_sets")
    op.drop_table("related_items")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_lease")
        batch_op.drop_index("ix_jobs_claim")
        batch_op.drop_index("ix_jobs_account")

    op.drop_table("jobs")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_open_dedupe")
        batch_op.drop_index("ix_incidents_account_status_created")
        batch_op.drop_index("ix_incidents_account_created")

    op.drop_table("incidents")
    op.drop_table("idempotency_tokens")
