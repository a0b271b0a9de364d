"""Shares: who each resource policy shares a plan or contact with, indexed by the consumer.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shares",
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("resource_arn", sa.String(2048), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("statement", sa.Integer, nullable=False),
        sa.Column("consumer", sa.String(2048), nullable=False),
        sa.Column("actions", sa.Text, nullable=False),
        sa.Column("resources", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "resource_arn", "source", "statement", "consumer"),
    )
    op.create_index("ix_shares_consumer", "shares", ["consumer", "account_id", "resource_arn"])
    # Policies put before this revision were never checked as sharings and shared nothing: they stay unshared
    # (no rows) until put again, so an upgrade never widens access.


def downgrade() -> None:
    op.drop_index("ix_shares_consumer", table_name="shares")
    op.drop_table("shares")
