"""/readyz turns 503 when the database can't serve, and JSON logs carry the request id of what failed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from botocore.exceptions import ClientError
from ops_support import execute, get, log_lines, scalar

from support import PG_ADMIN_URL, Account, Server, create_postgres_database, drop_postgres_database

KINDS = os.environ.get("INCIDENTD_TEST_DATABASES", "sqlite,postgresql").split(",")


@pytest.fixture(params=KINDS)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own, which it may break."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'incidentd.db'}"
        return
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture
def own_server(fresh_database: str, tmp_path: Path) -> Iterator[Server]:
    """A server on the fresh database that logs JSON lines, one per request too."""
    env = {"INCIDENTD_LOG_FORMAT": "json", "INCIDENTD_ACCESS_LOG": "true"}
    running = Server(fresh_database, tmp_path, extra_env=env).start()
    yield running
    running.stop()


def test_readyz_is_503_while_the_schema_is_behind_and_200_again_after(own_server: Server) -> None:
    url = own_server.database_url
    assert get(own_server, "/readyz").status == 200
    head = scalar(url, "SELECT version_num FROM alembic_version")
    execute(url, "UPDATE alembic_version SET version_num = '0001'")
    ready = get(own_server, "/readyz")
    assert ready.status == 503
    assert ready.json()["status"] == "unavailable"
    assert "newest migration" in ready.json()["reason"]
    assert get(own_server, "/healthz").status == 200  # alive, only not ready
    execute(url, f"UPDATE alembic_version SET version_num = '{head}'")
    assert get(own_server, "/readyz").status == 200


def test_readyz_is_503_once_the_database_is_gone(own_server: Server) -> None:
    url = own_server.database_url
    assert get(own_server, "/readyz").status == 200
    if url.startswith("sqlite"):
        # Open connections keep working on a deleted file, but nothing written now would survive a restart.
        Path(url.removeprefix("sqlite:///")).unlink()
    else:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    ready = get(own_server, "/readyz")
    assert ready.status == 503, ready.body
    assert ready.json()["status"] == "unavailable"
    assert "database" in ready.json()["reason"]
    assert get(own_server, "/healthz").status == 200
    assert own_server.process is not None and own_server.process.poll() is None


def test_json_logs_carry_the_request_id_of_a_failing_request(own_server: Server, account: Account) -> None:
    incidents = own_server.client(account)
    with pytest.raises(ClientError) as invalid:
        incidents.get_response_plan(arn="not-an-arn")
    invalid_id = invalid.value.response["ResponseMetadata"]["RequestId"]
    # A table pulled from under the server: the next request that reads it fails inside the handler.
    execute(own_server.database_url, "ALTER TABLE replication_sets RENAME TO replication_sets_away")
    try:
        with pytest.raises(ClientError) as broken:
            incidents.list_response_plans()
    finally:
        execute(own_server.database_url, "ALTER TABLE replication_sets_away RENAME TO replication_sets")
    assert broken.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    broken_id = broken.value.response["ResponseMetadata"]["RequestId"]

    lines = log_lines(own_server)  # every line parses as JSON
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    (access,) = [
        line for line in lines if line["logger"] == "incidentd.access" and line.get("request_id") == invalid_id
    ]
    assert access["status"] == 400
    assert access["operation"] == "ssm-incidents:GetResponsePlan"
    (error,) = [line for line in lines if line["level"] == "ERROR" and line.get("request_id") == broken_id]
    assert error["logger"] == "incidentd.request"
    assert "Traceback" in error["exc_info"]
    assert "replication_sets" in error["exc_info"]
    failed_access = [
        line for line in lines if line["logger"] == "incidentd.access" and line.get("request_id") == broken_id
    ]
    assert [line["status"] for line in failed_access] == [500]
