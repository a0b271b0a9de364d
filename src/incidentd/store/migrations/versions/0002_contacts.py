"""ssm-contacts: contacts, channels, policies, rotations and overrides, engagements, pages and receipts.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_channels",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("contact_arn", sa.String(length=2048), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("activation_code", sa.String(length=10), nullable=True),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "arn"),
    )
    op.create_index(
        "ix_contact_channels_contact",
        "contact_channels",
        ["account_id", "contact_arn", "created_ms", "arn"],
        unique=False,
    )
    op.create_table(
        "contact_policies",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("contact_arn", sa.String(length=2048), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "contact_arn"),
    )
    op.create_table(
        "contacts",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("alias", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "arn"),
        sa.UniqueConstraint("account_id", "region", "alias", name="uq_contacts_alias"),
    )
    op.create_table(
        "engagements",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("contact_arn", sa.String(length=2048), nullable=False),
        sa.Column("incident_id", sa.String(length=1024), nullable=True),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("stop_ms", sa.BigInteger(), nullable=True),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "arn"),
    )
    op.create_index("ix_engagements_incident", "engagements", ["account_id", "incident_id", "start_ms"], unique=False)
    op.create_index("ix_engagements_start", "engagements", ["account_id", "start_ms", "arn"], unique=False)
    op.create_table(
        "page_receipts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("page_arn", sa.String(length=2048), nullable=False),
        sa.Column("receipt_ms", sa.BigInteger(), nullable=False),
        sa.Column("receipt_type", sa.String(length=16), nullable=False),
        sa.Column("receipt_info", sa.String(length=2048), nullable=True),
        sa.Column("channel_arn", sa.String(length=2048), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_page_receipts_page", "page_receipts", ["account_id", "page_arn", "id"], unique=False)
    op.create_table(
        "pages",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("engagement_arn", sa.String(length=2048), nullable=False),
        sa.Column("contact_arn", sa.String(length=2048), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("sent_ms", sa.BigInteger(), nullable=True),
        sa.Column("delivery_ms", sa.BigInteger(), nullable=True),
        sa.Column("read_ms", sa.BigInteger(), nullable=True),
        sa.Column("accept_code", sa.String(length=10), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "arn"),
    )
    op.create_index("ix_pages_contact", "pages", ["account_id", "contact_arn", "created_ms", "arn"], unique=False)
    op.create_index("ix_pages_engagement", "pages", ["account_id", "engagement_arn", "created_ms", "arn"], unique=False)
    op.create_table(
        "rotation_overrides",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("rotation_arn", sa.String(length=2048), nullable=False),
        sa.Column("override_id", sa.String(length=39), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "rotation_arn", "override_id"),
    )
    op.create_index(
        "ix_rotation_overrides_time", "rotation_overrides", ["account_id", "rotation_arn", "start_ms"], unique=False
    )
    op.create_table(
        "rotations",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "arn"),
    )
    op.create_index("ix_rotations_name", "rotations", ["account_id", "region", "name", "arn"], unique=False)


def downgrade() -> None:
    op.drop_table("rotations")
    op.drop_table("rotation_overrides")
    op.drop_table("pages")
    op.drop_table("page_receipts")
    op.drop_table("engagements")
    op.drop_table("contacts")
    op.drop_table("contact_policies")
    op.drop_table("contact_channels")
