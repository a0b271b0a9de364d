"""The read cache: repeated reads answered from memory, never an answer older than the database."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config

from incidentd import config
from incidentd.api.invoke import Invoker
from incidentd.clock import SystemClock
from incidentd.protocol.sigv4 import Credential
from incidentd.protocol.wire import WireRequest, WireResponse
from incidentd.server.dispatch import Dispatcher
from incidentd.server.read_cache import ReadCache
from incidentd.store import migrate
from incidentd.store.db import Database
from support import Account, Server


def dispatcher(settings: config.Settings, db: Database, credentials: dict[str, Credential] | None = None) -> Dispatcher:
    """A dispatcher over the database with these settings, as `incidentd serve` composes one."""
    return Dispatcher(Invoker(db, SystemClock(), settings), credentials or {})


KEY_A = ("111122223333", "us-east-1", "GET", b"/getResponsePlan", b"arn=a", "", b"")
KEY_B = ("111122223333", "us-east-1", "GET", b"/getResponsePlan", b"arn=b", "", b"")


def _answer(body: bytes = b'{"name":"a"}') -> WireResponse:
    return WireResponse(
        200, body, [("content-type", "application/json"), ("x-amzn-requestid", "first")], ("ssm-incidents", "Get")
    )


@pytest.fixture
def wal_file(tmp_path: Path) -> Iterator[Path]:
    """A SQLite file in WAL mode, as incidentd keeps its database."""
    path = tmp_path / "cache.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    yield path


def _commit(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO t VALUES (1)")
    conn.close()


def test_an_answer_is_served_until_another_connection_commits(wal_file: Path) -> None:
    cache = ReadCache(wal_file, 1 << 20)
    version, kept = cache.look_up(KEY_A)
    assert kept is None
    cache.keep(KEY_A, version, _answer())
    version, kept = cache.look_up(KEY_A)
    assert kept is not None and kept.body == b'{"name":"a"}'
    assert ("x-amzn-requestid", "first") not in kept.headers  # every answer gets its own request id
    assert cache.look_up(KEY_B)[1] is None

    _commit(wal_file)
    assert cache.look_up(KEY_A)[1] is None


def test_reads_and_rolled_back_writes_by_others_keep_the_answers(wal_file: Path) -> None:
    cache = ReadCache(wal_file, 1 << 20)
    cache.keep(KEY_A, cache.look_up(KEY_A)[0], _answer())
    other = sqlite3.connect(wal_file, isolation_level=None)
    other.execute("SELECT count(*) FROM t").fetchone()
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (2)")
    other.execute("ROLLBACK")
    other.close()
    assert cache.look_up(KEY_A)[1] is not None


def test_an_answer_read_after_a_commit_its_version_did_not_see_is_never_kept(wal_file: Path) -> None:
    # The version is looked up before the answer's snapshot begins; a commit in between may be in the answer,
    # so the answer must not be served under the older version, nor under the newer one it was not read for.
    cache = ReadCache(wal_file, 1 << 20)
    before, _ = cache.look_up(KEY_A)
    _commit(wal_file)
    cache.keep(KEY_A, before, _answer())
    assert cache.look_up(KEY_A)[1] is None
    assert cache.look_up(KEY_A)[1] is None


def test_answers_kept_under_an_earlier_version_connection_are_never_served(wal_file: Path) -> None:
    # Two connections count data versions independently: after the cache opens its connection again, an answer
    # kept (or about to be kept) under the old connection's count must not pass for current.
    cache = ReadCache(wal_file, 1 << 20)
    old_version, _ = cache.look_up(KEY_A)
    cache.keep(KEY_A, old_version, _answer())
    cache.close()
    new_version, kept = cache.look_up(KEY_A)
    assert kept is None and new_version != old_version
    cache.keep(KEY_B, old_version, _answer())
    assert cache.look_up(KEY_B)[1] is None


def test_the_cache_keeps_to_its_room_and_drops_the_oldest_first(wal_file: Path) -> None:
    cache = ReadCache(wal_file, 16 * 200)  # room for 200 bytes an answer
    version, _ = cache.look_up(KEY_A)
    keys = [(*KEY_A[:4], f"arn={n}".encode(), "", b"") for n in range(40)]
    for key in keys:
        cache.keep(key, version, _answer(b"x" * 150))  # 150 bytes of answer and 6 or 7 of key
    kept = [key for key in keys if cache.look_up(key)[1] is not None]
    assert 0 < len(kept) <= 16 * 200 // 156
    assert kept == keys[-len(kept) :]

    cache.keep(KEY_B, version, _answer(b"x" * 201))  # more than a sixteenth of the room: never kept
    assert cache.look_up(KEY_B)[1] is None


def test_without_a_readable_database_nothing_is_kept(tmp_path: Path) -> None:
    cache = ReadCache(tmp_path, 1 << 20)  # a folder: SQLite can't open it
    version, kept = cache.look_up(KEY_A)
    assert (version, kept) == (None, None)
    cache.keep(KEY_A, version, _answer())
    assert cache.look_up(KEY_A) == (None, None)


def test_the_room_is_a_setting_and_0_turns_the_cache_off(tmp_path: Path) -> None:
    file = tmp_path / "incidentd.toml"
    file.write_text("[server]\nread_cache_mib = 2\n")
    assert config.load(str(file), environ={}).server.read_cache_mib == 2
    assert config.load(str(file), environ={"INCIDENTD_READ_CACHE_MIB": "0"}).server.read_cache_mib == 0
    assert config.load(None, environ={}).server.read_cache_mib == 8
    for bad in ("-1", "nan", "inf", "lots"):
        with pytest.raises(config.ConfigError, match="read_cache_mib"):
            config.load(None, environ={"INCIDENTD_READ_CACHE_MIB": bad})
    db = Database(f"sqlite:///{tmp_path / 'off.db'}")
    try:
        off = config.load(None, environ={"INCIDENTD_READ_CACHE_MIB": "0"})
        assert dispatcher(off, db).read_cache is None
        assert dispatcher(config.load(None, environ={}), db).read_cache is not None
    finally:
        db.dispose()


# In process: which requests reach the handler.

ACCOUNT = Credential("AKIDCACHE0000000001", "cache-secret", "123456789012")
OTHER = Credential("AKIDCACHE0000000002", "other-secret", "210987654321")


class _Counted:
    """A dispatcher whose GetResponsePlan handler counts its runs, answering boto3 clients in process."""

    def __init__(self, database_url: str) -> None:
        self.db = Database(database_url)
        migrate.upgrade(self.db)
        credentials = {c.access_key_id: c for c in (ACCOUNT, OTHER)}
        self.dispatcher = dispatcher(config.load(None, environ={}), self.db, credentials)
        self.handler_runs = 0
        key = ("ssm-incidents", "GetResponsePlan")
        invoker = self.dispatcher.invoker
        operation = invoker.operations[key]

        def counted(ctx: Any, params: dict[str, Any]) -> Any:
            self.handler_runs += 1
            return operation.handler(ctx, params)

        invoker.operations = {**invoker.operations, key: dataclasses.replace(operation, handler=counted)}

    def client(self, credential: Credential = ACCOUNT) -> Any:
        """An unmodified boto3 client answered by the dispatcher, as the ASGI application would answer it."""
        client = boto3.client(
            "ssm-incidents",
            endpoint_url="http://127.0.0.1:1",
            region_name="us-east-1",
            aws_access_key_id=credential.access_key_id,
            aws_secret_access_key=credential.secret_access_key,
            config=Config(retries={"max_attempts": 1}),
        )
        client.meta.events.register("before-send.ssm-incidents.*", self._answer)
        return client

    def _answer(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        headers = {
            name.lower(): str(value, "latin-1") if isinstance(value, bytes) else value
            for name, value in request.headers.items()
        }
        headers["host"] = url.netloc
        body = request.body or b""
        wire = WireRequest(
            request.method,
            url.path.encode(),
            url.query.encode(),
            headers,
            body if isinstance(body, bytes) else body.encode(),
        )
        response = asyncio.run(self.dispatcher.answer(wire))
        return AWSResponse(request.url, response.status, dict(response.headers), _Raw(response.body))


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        return iter([self.data])

    def read(self) -> bytes:
        return self.data


def test_a_repeated_read_is_answered_without_the_database_until_something_commits(tmp_path: Path) -> None:
    counted = _Counted(f"sqlite:///{tmp_path / 'counted.db'}")
    try:
        incidents = counted.client()
        incidents.create_replication_set(regions={"us-east-1": {}})
        arn = incidents.create_response_plan(name="cached", incidentTemplate={"title": "t", "impact": 3})["arn"]
        first = incidents.get_response_plan(arn=arn)
        second = incidents.get_response_plan(arn=arn)
        assert counted.handler_runs == 1
        assert first["ResponseMetadata"]["RequestId"] != second["ResponseMetadata"]["RequestId"]
        assert {k: v for k, v in first.items() if k != "ResponseMetadata"} == {
            k: v for k, v in second.items() if k != "ResponseMetadata"
        }

        incidents.update_response_plan(arn=arn, displayName="changed")
        assert incidents.get_response_plan(arn=arn)["displayName"] == "changed"
        assert counted.handler_runs == 2
    finally:
        counted.db.dispose()


def test_a_kept_answer_goes_to_its_own_account_only(tmp_path: Path) -> None:
    counted = _Counted(f"sqlite:///{tmp_path / 'tenants.db'}")
    try:
        owner, other = counted.client(), counted.client(OTHER)
        for client in (owner, other):
            client.create_replication_set(regions={"us-east-1": {}})
        arn = owner.create_response_plan(name="same", incidentTemplate={"title": "owner's", "impact": 3})["arn"]
        other_arn = other.create_response_plan(name="same", incidentTemplate={"title": "other's", "impact": 1})["arn"]
        assert owner.get_response_plan(arn=arn)["incidentTemplate"]["title"] == "owner's"
        assert owner.get_response_plan(arn=arn)["incidentTemplate"]["title"] == "owner's"  # from the cache
        # The same request signed by another account is that account's own read: not found, not the owner's plan.
        with pytest.raises(other.exceptions.ResourceNotFoundException):
            other.get_response_plan(arn=arn)
        assert other.get_response_plan(arn=other_arn)["incidentTemplate"]["title"] == "other's"
    finally:
        counted.db.dispose()


def test_the_cache_is_off_on_postgresql() -> None:
    db = Database("postgresql://postgres@127.0.0.1:5432/test")  # connects lazily: nothing is contacted here
    try:
        assert dispatcher(config.load(None, environ={}), db).read_cache is None
    finally:
        db.dispose()


def test_a_write_through_one_server_is_read_at_once_through_another_on_the_same_file(
    tmp_path: Path, account: Account
) -> None:
    # Two processes on one SQLite file: each keeps its own answers, and the other's commits must empty them.
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    writer = Server(url, tmp_path, "[replication]\nsettle_seconds = 0.2\n").start()
    reader = Server(url, tmp_path, worker=False).start()
    try:
        writes, reads = writer.client(account), reader.client(account)
        writes.create_replication_set(regions={"us-east-1": {}})
        arn = writes.create_response_plan(name="shared", incidentTemplate={"title": "v0", "impact": 3})["arn"]
        for version in range(1, 21):
            assert reads.get_response_plan(arn=arn)["incidentTemplate"]["title"] == f"v{version - 1}"
            writes.update_response_plan(arn=arn, incidentTemplateTitle=f"v{version}")
            assert reads.get_response_plan(arn=arn)["incidentTemplate"]["title"] == f"v{version}"
    finally:
        reader.stop()
        writer.stop()


def test_every_cacheable_operation_is_a_read_whose_request_lies_wholly_in_the_cache_key() -> None:
    # The key holds the method, path, query, X-Amz-Target and body, not other headers: an input member sent in
    # a header would make two different requests share one kept answer. restJson1 reads must also be GETs,
    # since those are the only requests of that protocol the dispatcher looks up.
    import botocore.session

    from incidentd.api import registry

    session = botocore.session.get_session()
    cacheable = [operation for operation in registry.load_all().values() if operation.cacheable]
    assert {"GetResponsePlan", "GetIncidentRecord"} <= {operation.name for operation in cacheable}
    for operation in cacheable:
        service_model = session.get_service_model(operation.service)
        op_model = service_model.operation_model(operation.name)
        assert not operation.writes
        members = op_model.input_shape.members.values() if op_model.input_shape else []
        assert all(member.serialization.get("location") in (None, "uri", "querystring") for member in members)
        if service_model.protocol == "rest-json":
            assert op_model.http["method"] == "GET", operation.name
