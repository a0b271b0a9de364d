"""Calendar feeds (their tokens hashed), and the contact a single sign-on's session belongs to ("my shifts").

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("console_sessions", sa.Column("contact_alias", sa.String(255), nullable=True))
    op.create_table(
        "calendar_feeds",
        sa.Column("feed_id", sa.String(32), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("user_name", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("role_ms", sa.BigInteger, nullable=False),
        sa.Column("fetched_ms", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_calendar_feeds_token", "calendar_feeds", ["token_hash"], unique=True)
    op.create_index("ix_calendar_feeds_user", "calendar_feeds", ["source", "user_name", "account_id"])


def downgrade() -> None:
    op.drop_index("ix_calendar_feeds_user", table_name="calendar_feeds")
    op.drop_index("ix_calendar_feeds_token", table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
    op.drop_column("console_sessions", "contact_alias")
