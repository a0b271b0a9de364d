"""Personal contacts through the console's forms, as a browser without JavaScript posts them: creating a contact,
adding an e-mail channel and activating it with the code the SMTP stand-in received, the engagement plan form, and
what viewers and responders are refused. Every check is what the API then says, or what the page shows."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from console_support import add_user, csrf_of, signed_in

from mailsink import MailSink
from paging.paging_support import address_of, mailing_server, onboard
from support import Account, Server


@pytest.fixture(scope="module")
def mailing(own_database: str, sink: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose activation codes go out by e-mail through the sink, on a database of its own (the shared
    server's worker has no SMTP and would take the jobs)."""
    running = mailing_server(own_database, tmp_path_factory.mktemp("console-contacts"), sink).start()
    yield running
    running.stop()


def admin_of(server: Server, account: Account) -> httpx.Client:
    """A browser signed in as an admin of the account (only admins may change contacts), onboarded (contacts need a
    replication set)."""
    onboard(server, account)
    return signed_in(server.endpoint, add_user(server.database_url, account.account_id, "admin"))


def post(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """Post a form of the page at path, with the session's CSRF token."""
    return client.post(path, data={"csrf": csrf_of(client, "/console/contacts"), **data})


def create_contact(client: httpx.Client, alias: str, display_name: str = "", kind: str = "PERSONAL") -> None:
    """The new-contact form, posted."""
    answer = post(client, "/console/contacts/new", {"alias": alias, "display_name": display_name, "type": kind})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/console/contacts/{alias}"


def error_beside(page: str, field: str) -> str:
    """The message the page shows beside a field."""
    found = re.search(rf'<p id="{re.escape(field)}-error" class="error" role="alert">([^<]*)</p>', page)
    assert found is not None, page
    return found.group(1)


def test_a_personal_contact_is_created_with_the_form_and_listed(server: Server, account: Account) -> None:
    client = admin_of(server, account)
    contacts = server.client(account, "ssm-contacts")

    create_contact(client, "dana", "Dana Ortiz")

    found = contacts.get_contact(ContactId=contacts.list_contacts()["Contacts"][0]["ContactArn"])
    assert (found["Alias"], found["DisplayName"], found["Type"], found["Plan"]) == (
        "dana",
        "Dana Ortiz",
        "PERSONAL",
        {"Stages": []},
    )
    listing = client.get("/console/contacts").text
    assert 'href="/console/contacts/dana"' in listing and "Dana Ortiz" in listing
    assert 'href="/console/paging-health"' in listing and 'href="/console/on-call"' in listing
    page = client.get("/console/contacts/dana")
    assert page.status_code == 200 and "<h1>Dana Ortiz</h1>" in page.text


def test_a_taken_alias_is_refused_beside_the_alias_field(server: Server, account: Account) -> None:
    client = admin_of(server, account)
    create_contact(client, "dana")

    again = post(client, "/console/contacts/new", {"alias": "dana", "type": "PERSONAL"})
    bad = post(client, "/console/contacts/new", {"alias": "Not An Alias", "type": "PERSONAL"})

    assert again.status_code == 400 and "already exists" in error_beside(again.text, "alias")
    assert bad.status_code == 400 and "Alias" in error_beside(bad.text, "alias")
    assert [c["Alias"] for c in server.client(account, "ssm-contacts").list_contacts()["Contacts"]] == ["dana"]


def test_an_email_channel_is_added_and_activated_with_the_mailed_code(
    mailing: Server, sink: MailSink, account: Account
) -> None:
    client = admin_of(mailing, account)
    contacts = mailing.client(account, "ssm-contacts")
    address = address_of("amara", account)
    create_contact(client, "amara")

    added = post(
        client, "/console/contacts/amara/channels", {"name": "Amara mail", "type": "EMAIL", "address": address}
    )
    assert added.status_code == 303, added.text
    (channel,) = contacts.list_contact_channels(ContactId=_arn(contacts, "amara"))["ContactChannels"]
    channel_id = channel["ContactChannelArn"].rsplit("/", 1)[1]
    assert channel["ActivationStatus"] == "NOT_ACTIVATED"
    page = client.get("/console/contacts/amara").text
    assert "Not activated" in page and "Activation code" in page and "Send activation code" in page
    (first,) = sink.wait_for_mail(address)

    # A wrong code: the API's refusal beside the field, and the channel stays as it was.
    wrong = f"{(int(first.code()) + 1) % 10**6:06d}"
    refused = post(client, f"/console/contacts/amara/channels/{channel_id}/activate", {f"code-{channel_id}": wrong})
    assert refused.status_code == 400
    assert "activation code" in error_beside(refused.text, f"code-{channel_id}")
    assert contacts.get_contact_channel(ContactChannelId=channel["ContactChannelArn"])["ActivationStatus"] == (
        "NOT_ACTIVATED"
    )

    # "Send activation code" sends a new one; the first stops working.
    sent = post(client, f"/console/contacts/amara/channels/{channel_id}/send-code", {})
    assert sent.status_code == 303 and sent.headers["location"].endswith(f"?sent={channel_id}#channel-{channel_id}")
    assert "A new activation code was sent" in client.get(sent.headers["location"]).text
    (_, second) = sink.wait_for_mail(address, count=2)
    stale = post(
        client, f"/console/contacts/amara/channels/{channel_id}/activate", {f"code-{channel_id}": first.code()}
    )
    assert stale.status_code == 400 or first.code() == second.code()

    activated = post(
        client, f"/console/contacts/amara/channels/{channel_id}/activate", {f"code-{channel_id}": second.code()}
    )

    assert activated.status_code == 303, activated.text
    assert contacts.get_contact_channel(ContactChannelId=channel["ContactChannelArn"])["ActivationStatus"] == (
        "ACTIVATED"
    )
    page = client.get("/console/contacts/amara").text
    assert "Active</span>" in page and "Activation code" not in page


def _arn(contacts, alias: str) -> str:  # type: ignore[no-untyped-def]
    return str(next(c["ContactArn"] for c in contacts.list_contacts()["Contacts"] if c["Alias"] == alias))


def test_a_bad_address_is_refused_beside_the_address_field(server: Server, account: Account) -> None:
    client = admin_of(server, account)
    contacts = server.client(account, "ssm-contacts")
    create_contact(client, "dana")

    answer = post(
        client,
        "/console/contacts/dana/channels",
        {"name": "Dana phone", "type": "SMS", "address": "0170 1234", "defer": "yes"},
    )

    assert answer.status_code == 400
    assert "is not a phone number" in error_beside(answer.text, "address")
    assert 'value="0170 1234"' in answer.text  # what was typed stays in the form
    assert contacts.list_contact_channels(ContactId=_arn(contacts, "dana"))["ContactChannels"] == []


def test_a_channel_is_renamed_deferred_and_deleted(server: Server, account: Account) -> None:
    client = admin_of(server, account)
    contacts = server.client(account, "ssm-contacts")
    create_contact(client, "dana")
    form = {"name": "Dana phone", "type": "SMS", "address": "+4915112345678", "defer": "yes"}
    assert post(client, "/console/contacts/dana/channels", form).status_code == 303
    (channel,) = contacts.list_contact_channels(ContactId=_arn(contacts, "dana"))["ContactChannels"]
    arn = channel["ContactChannelArn"]
    channel_id = arn.rsplit("/", 1)[1]

    renamed = post(
        client,
        f"/console/contacts/dana/channels/{channel_id}",
        {f"name-{channel_id}": "Dana mobile", f"address-{channel_id}": "+4915112345678"},
    )
    assert renamed.status_code == 303
    assert contacts.get_contact_channel(ContactChannelId=arn)["Name"] == "Dana mobile"

    deleted = post(client, f"/console/contacts/dana/channels/{channel_id}/delete", {})
    assert deleted.status_code == 303
    assert contacts.list_contact_channels(ContactId=_arn(contacts, "dana"))["ContactChannels"] == []


def _contact_with_channels(server: Server, account: Account) -> tuple[httpx.Client, object, str, str, str]:
    client = admin_of(server, account)
    contacts = server.client(account, "ssm-contacts")
    create_contact(client, "dana")
    contact = _arn(contacts, "dana")
    mail = contacts.create_contact_channel(
        ContactId=contact,
        Name="Dana mail",
        Type="EMAIL",
        DeliveryAddress={"SimpleAddress": "dana@example.com"},
        DeferActivation=True,
    )["ContactChannelArn"]
    phone = contacts.create_contact_channel(
        ContactId=contact,
        Name="Dana phone",
        Type="SMS",
        DeliveryAddress={"SimpleAddress": "+4915112345678"},
        DeferActivation=True,
    )["ContactChannelArn"]
    return client, contacts, contact, mail, phone


def test_the_engagement_plan_form_stores_exactly_the_stages_entered(server: Server, account: Account) -> None:
    client, contacts, contact, mail, phone = _contact_with_channels(server, account)
    # The form numbers the channels in the order the contact lists them: mail is row 0, the phone row 1.
    answer = post(
        client,
        "/console/contacts/dana/plan",
        {
            "stages": "2",
            "stage-0-minutes": "5",
            "stage-0-channel-0": mail,
            "stage-0-retry-0": "2",
            "stage-1-minutes": "10",
            "stage-1-channel-0": mail,
            "stage-1-retry-0": "",
            "stage-1-channel-1": phone,
            "stage-1-retry-1": "0",
            "action": "save",
        },
    )

    assert answer.status_code == 303, answer.text
    assert contacts.get_contact(ContactId=contact)["Plan"] == {  # type: ignore[attr-defined]
        "Stages": [
            {
                "DurationInMinutes": 5,
                "Targets": [{"ChannelTargetInfo": {"ContactChannelId": mail, "RetryIntervalInMinutes": 2}}],
            },
            {
                "DurationInMinutes": 10,
                "Targets": [
                    {"ChannelTargetInfo": {"ContactChannelId": mail}},
                    {"ChannelTargetInfo": {"ContactChannelId": phone, "RetryIntervalInMinutes": 0}},
                ],
            },
        ]
    }
    page = client.get("/console/contacts/dana").text
    assert "<legend>Stage 2</legend>" in page and "<legend>Stage 3</legend>" not in page
    assert f'name="stage-1-channel-1" value="{phone}" checked' in page


def test_add_and_remove_stage_change_the_form_and_save_nothing(server: Server, account: Account) -> None:
    client, contacts, contact, mail, _ = _contact_with_channels(server, account)
    form = {"stages": "1", "stage-0-minutes": "5", "stage-0-channel-0": mail, "stage-0-retry-0": "3"}

    added = post(client, "/console/contacts/dana/plan", {**form, "action": "add-stage"})
    removed = post(client, "/console/contacts/dana/plan", {**form, "action": "remove-stage-0"})

    assert added.status_code == 200 and "<legend>Stage 2</legend>" in added.text
    assert 'name="stage-0-minutes" inputmode="numeric" size="4" value="5"' in added.text  # typed values stay
    assert removed.status_code == 200 and "<legend>Stage 1</legend>" not in removed.text
    assert contacts.get_contact(ContactId=contact)["Plan"] == {"Stages": []}  # type: ignore[attr-defined]


def test_a_refused_plan_shows_the_api_message_beside_the_stage_and_changes_nothing(
    server: Server, account: Account
) -> None:
    client, contacts, contact, mail, _ = _contact_with_channels(server, account)

    too_long = post(
        client,
        "/console/contacts/dana/plan",
        {"stages": "1", "stage-0-minutes": "45", "stage-0-channel-0": mail, "action": "save"},
    )
    bad_retry = post(
        client,
        "/console/contacts/dana/plan",
        {"stages": "1", "stage-0-minutes": "5", "stage-0-channel-0": mail, "stage-0-retry-0": "90"},
    )

    assert too_long.status_code == 400
    assert "DurationInMinutes" in error_beside(too_long.text, "stage-0-minutes")
    assert bad_retry.status_code == 400
    assert "RetryIntervalInMinutes" in error_beside(bad_retry.text, "stage-0-retry-0")
    assert contacts.get_contact(ContactId=contact)["Plan"] == {"Stages": []}  # type: ignore[attr-defined]


def test_a_contact_is_deleted_after_a_confirmation_naming_it(server: Server, account: Account) -> None:
    client = admin_of(server, account)
    create_contact(client, "dana", "Dana Ortiz")

    confirmation = client.get("/console/contacts/dana/delete")
    assert confirmation.status_code == 200
    assert "Delete the contact Dana Ortiz?" in confirmation.text and "Delete Dana Ortiz" in confirmation.text

    assert post(client, "/console/contacts/dana/delete", {}).status_code == 303
    assert server.client(account, "ssm-contacts").list_contacts()["Contacts"] == []


@pytest.mark.parametrize("role", ["viewer", "responder"])
def test_people_who_may_not_change_contacts_see_no_forms_and_are_refused(
    server: Server, account: Account, role: str
) -> None:
    onboard(server, account)
    contacts = server.client(account, "ssm-contacts")
    contact = contacts.create_contact(Alias="dana", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    channel = contacts.create_contact_channel(
        ContactId=contact,
        Name="Dana mail",
        Type="EMAIL",
        DeliveryAddress={"SimpleAddress": "dana@example.com"},
        DeferActivation=True,
    )["ContactChannelArn"]
    channel_id = channel.rsplit("/", 1)[1]
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, role))

    listing = client.get("/console/contacts").text
    page = client.get("/console/contacts/dana")

    assert "New contact" not in listing and "New escalation plan" not in listing
    assert page.status_code == 200 and "Dana mail" in page.text
    for control in ("Add channel", "Send activation code", "Activate", "Save engagement plan", "Delete contact"):
        assert control not in page.text, control
    assert client.get("/console/contacts/new?type=PERSONAL").status_code == 403
    assert post(client, "/console/contacts/new", {"alias": "eve", "type": "PERSONAL"}).status_code == 403
    assert post(client, f"/console/contacts/dana/channels/{channel_id}/send-code", {}).status_code == 403
    assert post(client, "/console/contacts/dana/plan", {"stages": "1", "stage-0-minutes": "5"}).status_code == 403
    assert post(client, "/console/contacts/dana/delete", {}).status_code == 403
    assert [c["Alias"] for c in contacts.list_contacts()["Contacts"]] == ["dana"]
    assert contacts.get_contact(ContactId=contact)["Plan"] == {"Stages": []}


def test_another_accounts_contact_is_not_found(server: Server, account: Account, other_account: Account) -> None:
    onboard(server, other_account)
    server.client(other_account, "ssm-contacts").create_contact(Alias="theirs", Type="PERSONAL", Plan={"Stages": []})
    client = admin_of(server, account)

    assert client.get("/console/contacts/theirs").status_code == 404
    assert post(client, "/console/contacts/theirs/delete", {}).status_code == 404
    assert "theirs" not in client.get("/console/contacts").text
