"""Indexes for fairness across accounts: the claim's look-up of each account's oldest due job, and the count of an
account's live automation executions (its quota) without reading its finished ones.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_fair", "jobs", ["state", "account_id", "run_at_ms"])
    op.create_index(
        "ix_automation_executions_live", "automation_executions", ["account_id", "region", "status", "start_ms"]
    )


def downgrade() -> None:
    op.drop_index("ix_automation_executions_live", table_name="automation_executions")
    op.drop_index("ix_jobs_fair", table_name="jobs")
