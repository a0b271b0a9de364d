"""Answers to repeated reads, served from memory until anything commits to the SQLite database."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from incidentd.protocol.wire import WireResponse

log = logging.getLogger("incidentd.request")

# (account, region, method, raw path, query string, X-Amz-Target, body): everything a cacheable operation's
# answer can depend on besides the stored rows. The account comes from the verified signature.
Key = tuple[str, str, str, bytes, bytes, str, bytes]
# (connection, data_version): versions of two connections are not comparable, so a reopened connection counts anew.
Version = tuple[int, int]

REQUEST_ID_HEADER = "x-amzn-requestid"


class ReadCache:
    """The serialised answers of cacheable reads (registry.Operation.cacheable), kept until the database changes.

    SQLite's `PRAGMA data_version` changes, on a connection that asks it, whenever any other connection commits
    to the file: a writer thread of this process, another serving process, a separate worker. This cache's own
    connection only ever asks that question and never writes, so its answer moves with every commit anywhere.
    Every look-up asks it first, and throws every kept answer away when it moved. An answer is kept under the
    version read before its own snapshot began: a commit in between makes the answer look older than it is
    (dropped at the next look-up), never newer. So an answer served from here is always one a fresh read would
    give. Any commit empties the cache, which is crude but cheap to get right: under writes it simply misses.
    """

    def __init__(self, database_file: Path, max_bytes: int) -> None:
        self.database_file = database_file
        self.max_bytes = max_bytes
        # One answer may take a sixteenth of the room, so that a few large ones can't keep evicting everything.
        self.max_entry_bytes = max_bytes // 16
        self._answers: dict[Key, tuple[WireResponse, int]] = {}  # the answer and the bytes it is counted for
        self._bytes = 0
        self._version: Version | None = None
        self._connections = 0
        self._conn: sqlite3.Connection | None = None
        self._cursor: sqlite3.Cursor | None = None  # kept: a new cursor per look-up costs a tenth of the look-up
        self._lock = threading.Lock()

    def look_up(self, key: Key) -> tuple[Version | None, WireResponse | None]:
        """The database's version now and the answer kept for the key, if it is still current."""
        with self._lock:
            version = self._data_version()
            if version != self._version or version is None:
                self._clear()
                self._version = version
                return version, None
            kept = self._answers.get(key)
            return version, kept[0] if kept is not None else None

    def keep(self, key: Key, version: Version | None, response: WireResponse) -> None:
        """Keep a successful answer read in a snapshot that began after `version` was looked up."""
        size = len(response.body) + sum(len(part) for part in key[3:])
        if version is None or size > self.max_entry_bytes:
            return
        headers = [(name, value) for name, value in response.headers if name != REQUEST_ID_HEADER]
        kept = WireResponse(response.status, response.body, headers, response.operation)
        with self._lock:
            if version != self._version or key in self._answers:
                return
            while self._answers and self._bytes + size > self.max_bytes:
                self._bytes -= self._answers.pop(next(iter(self._answers)))[1]  # the oldest first
            self._answers[key] = (kept, size)
            self._bytes += size

    def close(self) -> None:
        """Close the version connection (a later look-up opens it again)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = self._cursor = None

    def _data_version(self) -> Version | None:
        try:
            if self._conn is None:
                # Read-only: it can't write (its own commits would not move its version) nor create a missing file.
                uri = self.database_file.resolve().as_uri() + "?mode=ro"
                self._conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
                self._cursor = self._conn.cursor()
                self._connections += 1
            assert self._cursor is not None
            row = self._cursor.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error as exc:
            # Without a version nothing can be served from memory; the request reads the database as usual.
            log.warning("read cache off for this request: %s", exc)
            if self._conn is not None:
                self._conn.close()  # opened again at the next look-up
            self._conn = self._cursor = None
            return None
        return self._connections, int(row[0])

    def _clear(self) -> None:
        self._answers.clear()
        self._bytes = 0


def answered_again(cached: WireResponse, request_id: str) -> WireResponse:
    """A kept answer as a new response with this request's id."""
    return WireResponse(
        cached.status, cached.body, [*cached.headers, (REQUEST_ID_HEADER, request_id)], cached.operation
    )
