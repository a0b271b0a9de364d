"""The console: its users, their sessions, sign-ins in flight, preferences; incidents' titles and plans for its list.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("contact_alias", sa.String(255), nullable=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(255), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("seen_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_console_sessions_user", "console_sessions", ["source", "user_name"])
    op.create_index("ix_console_sessions_seen", "console_sessions", ["seen_ms"])
    op.create_table(
        "console_sign_ins",
        sa.Column("state", sa.String(64), primary_key=True),
        sa.Column("verifier", sa.String(128), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("next_path", sa.String(2048), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_console_sign_ins_created", "console_sign_ins", ["created_ms"])
    op.create_table(
        "console_preferences",
        sa.Column("user_arn", sa.String(2048), primary_key=True),
        sa.Column("time_zone", sa.String(64), nullable=False),
    )
    op.add_column("incidents", sa.Column("title", sa.String(200), nullable=True))
    op.add_column("incidents", sa.Column("plan_name", sa.String(200), nullable=True))
    # Titles and plans of incidents stored before this revision: the title from the document, the plan from the
    # ARN (arn:aws:ssm-incidents::ACCOUNT:incident-record/PLAN/ID).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE incidents SET title = (doc::jsonb)->>'title', plan_name = split_part(arn, '/', 2)")
    else:
        rest = "substr(arn, instr(arn, '/') + 1)"
        plan = f"substr({rest}, 1, instr({rest}, '/') - 1)"
        op.execute(f"UPDATE incidents SET title = json_extract(doc, '$.title'), plan_name = {plan}")
    op.create_index("ix_incidents_account_plan_created", "incidents", ["account_id", "plan_name", "creation_ms", "arn"])


def downgrade() -> None:
    op.drop_index("ix_incidents_account_plan_created", table_name="incidents")
    op.drop_column("incidents", "plan_name")
    op.drop_column("incidents", "title")
    op.drop_table("console_preferences")
    op.drop_index("ix_console_sign_ins_created", table_name="console_sign_ins")
    op.drop_table("console_sign_ins")
    op.drop_index("ix_console_sessions_seen", table_name="console_sessions")
    op.drop_index("ix_console_sessions_user", table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("console_users")
