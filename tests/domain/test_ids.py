"""Identifiers: the UUID forms AWS uses, unique across the processes of one server."""

from __future__ import annotations

import os
import re
import uuid
import warnings

from incidentd.domain import ids

UUID_V4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_request_ids_are_version_4_uuids_and_do_not_repeat() -> None:
    made = [ids.random() for _ in range(10_000)]
    assert all(UUID_V4.fullmatch(value) and uuid.UUID(value).version == 4 for value in made)
    assert len(set(made)) == len(made)


def test_a_forked_process_makes_other_request_ids_than_its_parent() -> None:
    # serve --processes forks its serving processes: they must not answer with each other's request ids.
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12 warns about forking with threads
        pid = os.fork()
    if pid == 0:
        os.close(read_end)
        os.write(write_end, " ".join(ids.random() for _ in range(100)).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        childs = set(pipe.read().split())
    os.waitpid(pid, 0)
    parents = {ids.random() for _ in range(100)}
    assert len(childs) == 100 and not childs & parents


def test_time_ordered_ids_are_version_7_and_grow_with_time() -> None:
    made = [ids.time_ordered() for _ in range(1_000)]
    assert all(uuid.UUID(value).version == 7 for value in made)
    assert [value[:13] for value in made] == sorted(value[:13] for value in made)  # the millisecond prefix
