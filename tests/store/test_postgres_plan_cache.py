"""PostgreSQL: a look-up a connection has run many times is still planned for the table as it is now."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from incidentd.store import migrate, plans
from incidentd.store.db import Database
from incidentd.store.tables import response_plans
from support import create_postgres_database, drop_postgres_database

ACCOUNT = "555566667777"
CROWD = "888899990000"
# The suite runs PostgreSQL unless INCIDENTD_TEST_DATABASES leaves it out, as the cluster tests do.
pytestmark = pytest.mark.skipif(
    "postgresql" not in os.environ.get("INCIDENTD_TEST_DATABASES", "sqlite,postgresql").split(","),
    reason="PostgreSQL's plan cache",
)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database at the newest schema."""
    url = create_postgres_database()
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    yield url
    drop_postgres_database(url)


def _plan_of(conn: sa.Connection, statement: str) -> str:
    """The top node of the plan PostgreSQL would run this session's prepared statement with."""
    rows = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) EXECUTE {statement}('{ACCOUNT}', 'p0')").scalar_one()
    found = rows if isinstance(rows, list) else json.loads(rows)
    return str(found[0]["Plan"]["Node Type"])


def test_a_plan_look_up_prepared_on_a_small_table_uses_the_index_once_the_table_grew(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        with db.write() as conn:
            rows = [{"account_id": ACCOUNT, "name": f"p{n}", "doc": {}} for n in (0, 1)]
            conn.execute(sa.insert(response_plans), rows)
            conn.exec_driver_sql("ANALYZE response_plans")  # statistics of a new server: two plans
        with db.read() as conn:
            for _ in range(20):  # past psycopg's prepare threshold (5), then PostgreSQL's five custom plans
                assert plans.get(conn, ACCOUNT, "p0") == {}
            statement = conn.exec_driver_sql(
                "SELECT name FROM pg_prepared_statements WHERE statement LIKE '%%FROM response_plans%%'"
            ).scalar_one()
        with db.write() as conn:
            conn.exec_driver_sql(
                "INSERT INTO response_plans (account_id, name, doc) "
                f"SELECT '{CROWD}', 'plan-' || n, repeat('x', 500) FROM generate_series(1, 20000) AS n"
            )
        with db.read() as conn:
            # The same session, whose server-side statement was prepared when the table held two rows.
            assert _plan_of(conn, statement) in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan")
            assert plans.get(conn, ACCOUNT, "p0") == {}
    finally:
        db.dispose()
