"""/healthz, /readyz and /metrics of a running server, seen from outside as a load balancer and Prometheus see them."""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import pytest
from ops_support import get, scrape, value

from mailsink import MailSink
from support import Account, Server, refused, wait_until


def test_healthz_and_readyz_answer_ok(server: Server) -> None:
    health = get(server, "/healthz")
    ready = get(server, "/readyz")
    assert (health.status, health.json()) == (200, {"status": "ok"})
    assert (ready.status, ready.json()) == (200, {"status": "ok"})
    assert ready.content_type == "application/json"


def test_request_counters_and_latency_move_with_boto3_calls(server: Server, account: Account) -> None:
    incidents = server.client(account)
    contacts = server.client(account, "ssm-contacts")
    ok = {"service": "ssm-incidents", "operation": "ListReplicationSets", "code": "2xx"}
    invalid = {"service": "ssm-incidents", "operation": "GetResponsePlan", "code": "4xx"}
    # ssm-contacts refuses an account without a replication set: a modelled 4xx, counted as such.
    contacts_refused = {"service": "ssm-contacts", "operation": "ListContacts", "code": "4xx"}
    latency = {"service": "ssm-incidents", "operation": "ListReplicationSets"}
    before = scrape(server)
    for _ in range(3):
        incidents.list_replication_sets()
    refused(incidents.get_response_plan, arn="not-an-arn")
    refused(contacts.list_contacts)
    after = scrape(server)
    assert value(after, "incidentd_requests_total", **ok) - value(before, "incidentd_requests_total", **ok) >= 3
    assert (
        value(after, "incidentd_requests_total", **invalid) - value(before, "incidentd_requests_total", **invalid) >= 1
    )
    assert value(after, "incidentd_requests_total", **contacts_refused) > value(
        before, "incidentd_requests_total", **contacts_refused
    )
    count = "incidentd_request_duration_seconds_count"
    assert value(after, count, **latency) - value(before, count, **latency) >= 3
    assert value(after, "incidentd_request_duration_seconds_sum", **latency) > 0
    inf = value(after, "incidentd_request_duration_seconds_bucket", le="+Inf", **latency)
    assert inf == value(after, count, **latency)
    # The process collector comes along for peak-RSS dashboards.
    assert value(after, "process_resident_memory_bytes") > 0


def test_unauthenticated_requests_count_under_an_unknown_operation(server: Server) -> None:
    labels = {"service": "ssm-incidents", "operation": "unknown", "code": "4xx"}
    before = value(scrape(server), "incidentd_requests_total", **labels)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("POST", "/listResponsePlans", body=b"{}")
    assert connection.getresponse().status == 403
    connection.close()
    assert value(scrape(server), "incidentd_requests_total", **labels) == before + 1


@pytest.fixture
def idle_server(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server without a worker, so that the jobs its requests make stay queued."""
    running = Server(own_database, tmp_path_factory.mktemp("idle"), worker=False).start()
    yield running
    running.stop()


def test_job_queue_depth_and_lag_per_kind(idle_server: Server, account: Account) -> None:
    idle_server.client(account).create_replication_set(regions={"us-east-1": {}})

    def queued() -> dict[str, float]:
        samples = scrape(idle_server)
        return {
            dict(labels)["kind"]: found
            for (name, labels), found in samples.items()
            if name == "incidentd_jobs" and dict(labels)["state"] == "queued" and found
        }

    kinds = wait_until(queued)
    kind = next(iter(kinds))
    samples = wait_until(
        lambda: (s := scrape(idle_server)) and value(s, "incidentd_job_lag_seconds", kind=kind) > 0 and s
    )
    assert value(samples, "incidentd_jobs", kind=kind, state="running") == 0
    assert value(samples, "incidentd_jobs_due", kind=kind) >= 1
    assert value(samples, "incidentd_database_up") == 1


@pytest.fixture(scope="module")
def sink() -> Iterator[MailSink]:
    """A real SMTP server that keeps every mail."""
    running = MailSink().start()
    yield running
    running.stop()


@pytest.fixture
def mailing_server(own_database: str, sink: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose e-mail goes to the sink, on a database of its own."""
    env = {"INCIDENTD_SMTP_URL": sink.url, "INCIDENTD_EMAIL_FROM": "incidentd@example.com"}
    config = "[replication]\nsettle_seconds = 0.2\n"
    running = Server(own_database, tmp_path_factory.mktemp("mailing"), config, extra_env=env).start()
    yield running
    running.stop()


def test_deliveries_count_by_channel_and_outcome(mailing_server: Server, sink: MailSink, account: Account) -> None:
    incidents = mailing_server.client(account)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    contacts = mailing_server.client(account, "ssm-contacts")
    address = f"kofi.{account.account_id}@example.com"
    contact = contacts.create_contact(Alias="kofi", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    channel = contacts.create_contact_channel(
        ContactId=contact, Name="kofi mail", Type="EMAIL", DeliveryAddress={"SimpleAddress": address}
    )["ContactChannelArn"]
    (activation,) = sink.wait_for_mail(address)
    contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=activation.code())
    sent = {"channel": "email", "outcome": "sent"}
    retrying = {"channel": "email", "outcome": "retrying"}
    before = scrape(mailing_server)

    def grew(labels: dict[str, str]) -> bool:
        now = value(scrape(mailing_server), "incidentd_deliveries_total", **labels)
        return now > value(before, "incidentd_deliveries_total", **labels)

    sink.refuse(address, times=1)  # the first page meets a temporary failure and is tried again later
    contacts.start_engagement(ContactId=contact, Sender="ops", Subject="Disk full", Content="db-1 at 99%")
    wait_until(lambda: grew(retrying))
    assert not grew(sent)
    contacts.start_engagement(ContactId=contact, Sender="ops", Subject="Disk fuller", Content="db-1 at 100%")
    wait_until(lambda: grew(sent))
