"""ssm runbooks: automation documents and their versions, automation executions and their steps.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ssm_documents",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("default_version", sa.Integer(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name"),
    )
    op.create_table(
        "ssm_document_versions",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("version_name", sa.String(length=128), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name", "version"),
    )
    op.create_table(
        "automation_executions",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("execution_id", sa.String(length=36), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("document_name", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "execution_id"),
    )
    op.create_index(
        "ix_automation_executions_start",
        "automation_executions",
        ["account_id", "region", "start_ms", "execution_id"],
        unique=False,
    )
    op.create_table(
        "automation_steps",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("execution_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "execution_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("automation_steps")
    op.drop_index("ix_automation_executions_start", table_name="automation_executions")
    op.drop_table("automation_executions")
    op.drop_table("ssm_document_versions")
    op.drop_table("ssm_documents")
