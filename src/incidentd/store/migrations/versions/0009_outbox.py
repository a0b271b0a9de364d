"""The development outbox: pages, activation codes and notices a server without credentials had no transport for.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel_type", sa.String(16), nullable=False),
        sa.Column("address", sa.String(2048), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(2048), nullable=False),
    )
    op.create_index("ix_outbox_account", "outbox", ["account_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_account", table_name="outbox")
    op.drop_table("outbox")
