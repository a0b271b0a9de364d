"""Pages by accept code: an SMS reply names only its code and the phone it came from.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_pages_accept_code", "pages", ["accept_code", "read_ms"])


def downgrade() -> None:
    op.drop_index("ix_pages_accept_code", table_name="pages")
