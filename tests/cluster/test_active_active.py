"""Two API nodes and two workers on one PostgreSQL database behave as one service, a killed worker included."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from cluster_support import WorkerProcess, api_node, lease_owner_pids

from mailsink import MailSink
from paging.paging_support import address_of, onboard, person_with_email
from support import Account, Server, create_postgres_database, drop_postgres_database, wait_until

DATABASES = os.environ.get("INCIDENTD_TEST_DATABASES", "sqlite,postgresql").split(",")
pytestmark = pytest.mark.skipif("postgresql" not in DATABASES, reason="several nodes need PostgreSQL")

DELIVER = "page.deliver"


@pytest.fixture(scope="module")
def sink() -> Iterator[MailSink]:
    """A real SMTP server that keeps every mail."""
    running = MailSink().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def cluster(sink: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Two `serve --no-worker` nodes and two `worker` processes sharing one fresh database."""
    url = create_postgres_database()
    workdir = tmp_path_factory.mktemp("cluster")
    nodes = [api_node(url, workdir / f"api-{i}", sink) for i in range(2)]
    for node in nodes:
        node.workdir.mkdir()
        node.start()
    workers = [WorkerProcess(url, workdir / f"worker-{i}", sink).start() for i in range(2)]
    yield {"url": url, "nodes": nodes, "workers": workers}
    for worker in workers:
        worker.stop()
    for node in nodes:
        node.stop()
    drop_postgres_database(url)


def _nodes(cluster: dict[str, object]) -> list[Server]:
    return cluster["nodes"]  # type: ignore[return-value]


def _workers(cluster: dict[str, object]) -> list[WorkerProcess]:
    return cluster["workers"]  # type: ignore[return-value]


def test_any_node_answers_any_request(cluster: dict[str, object], account: Account) -> None:
    first, second = _nodes(cluster)
    onboard(first, account)  # created on one node, settled by a worker, seen ACTIVE through the other
    assert second.client(account).list_replication_sets()["replicationSetArns"]
    contacts_first = first.client(account, "ssm-contacts")
    arn = contacts_first.create_contact(Alias="on-both", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    assert second.client(account, "ssm-contacts").get_contact(ContactId=arn)["Alias"] == "on-both"
    second.client(account, "ssm-contacts").delete_contact(ContactId=arn)
    with pytest.raises(contacts_first.exceptions.ResourceNotFoundException):
        contacts_first.get_contact(ContactId=arn)


def test_engagements_through_both_nodes_page_everyone_exactly_once(
    cluster: dict[str, object], sink: MailSink, account: Account
) -> None:
    nodes = _nodes(cluster)
    onboard(nodes[0], account)
    people = []
    for i in range(16):
        contacts = nodes[i % 2].client(account, "ssm-contacts")
        contact, _ = person_with_email(contacts, sink, f"responder-{i}", account)
        people.append(contact)
    for i, contact in enumerate(people):
        nodes[(i + 1) % 2].client(account, "ssm-contacts").start_engagement(
            ContactId=contact, Sender="monitor", Subject=f"alert {i}", Content="disk full"
        )
    for i in range(len(people)):
        sink.wait_for_mail(address_of(f"responder-{i}", account), count=2, timeout=30)  # activation, then page
    time.sleep(2)  # a page sent twice would have arrived by now
    for i in range(len(people)):
        assert len(sink.to(address_of(f"responder-{i}", account))) == 2
    # Which worker claims a burst of due jobs is a race; over the settling, the activation codes (sent one by one as
    # each person is created) and the pages, both workers have taken their share.
    owners = set(lease_owner_pids(str(cluster["url"]), None, ("done",)))
    assert owners <= {worker.pid for worker in _workers(cluster)}
    assert len(owners) == 2, "both workers should have run some of the jobs"


@pytest.mark.slow
def test_a_worker_killed_mid_escalation_is_taken_over_and_nothing_is_sent_twice(
    cluster: dict[str, object], sink: MailSink, account: Account, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = str(cluster["url"])
    nodes, workers = _nodes(cluster), _workers(cluster)
    onboard(nodes[0], account)
    contacts = nodes[0].client(account, "ssm-contacts")
    alice, _ = person_with_email(contacts, sink, "alice", account)
    bob, _ = person_with_email(contacts, sink, "bob", account)
    stages = [
        {"DurationInMinutes": 1, "Targets": [{"ContactTargetInfo": {"ContactId": alice, "IsEssential": True}}]},
        {"DurationInMinutes": 0, "Targets": [{"ContactTargetInfo": {"ContactId": bob, "IsEssential": True}}]},
    ]
    plan = contacts.create_contact(Alias="db-escalation", Type="ESCALATION", Plan={"Stages": stages})
    alice_address = address_of("alice", account)
    sink.hold(alice_address)  # alice's page gets stuck in flight, its job leased to one of the workers
    started = time.time()
    nodes[1].client(account, "ssm-contacts").start_engagement(
        ContactId=plan["ContactArn"], Sender="monitor", Subject="Replica lag 10 min", Content="db-2 lags"
    )
    holder_pid = wait_until(lambda: lease_owner_pids(url, DELIVER, ("running",)), timeout=15)[0]
    holder = next(worker for worker in workers if worker.pid == holder_pid)
    holder.kill()  # SIGKILL in the middle of the delivery: its lease stays until it expires
    sink.release(alice_address)

    (_, alice_page) = sink.wait_for_mail(alice_address, count=2, timeout=30)
    assert alice_page.received - started >= 4  # not before the dead worker's 4 s lease ran out
    holder.start()  # back in the cluster for the rest of the escalation
    (_, bob_page) = sink.wait_for_mail(address_of("bob", account), count=2, timeout=90)
    assert 60 <= bob_page.received - started < 75  # the second stage, one minute after the first
    time.sleep(3)  # anything sent twice would have arrived by now
    assert len(sink.to(alice_address)) == 2
    assert len(sink.to(address_of("bob", account))) == 2
