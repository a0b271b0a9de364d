"""The contact forms' translation to API parameters and back, without a server."""

from __future__ import annotations

from incidentd.console import contact_forms as forms
from incidentd.protocol.errors import ServiceError

MAIL = "arn:aws:ssm-contacts:us-east-1:111122223333:contact-channel/dana/mail"
PHONE = "arn:aws:ssm-contacts:us-east-1:111122223333:contact-channel/dana/phone"
DANA = "arn:aws:ssm-contacts:us-east-1:111122223333:contact/dana"
PRIMARY = "arn:aws:ssm-contacts:us-east-1:111122223333:contact/primary"


def test_a_plan_read_back_from_its_form_is_the_same_plan() -> None:
    plan = {
        "Stages": [
            {"DurationInMinutes": 5, "Targets": [{"ChannelTargetInfo": {"ContactChannelId": MAIL}}]},
            {
                "DurationInMinutes": 0,
                "Targets": [
                    {"ChannelTargetInfo": {"ContactChannelId": PHONE, "RetryIntervalInMinutes": 3}},
                    {"ChannelTargetInfo": {"ContactChannelId": MAIL, "RetryIntervalInMinutes": 0}},
                ],
            },
        ]
    }
    rows = [MAIL, PHONE]
    form = {"stages": "2", "stage-0-minutes": "5", "stage-0-channel-0": MAIL, "stage-1-minutes": "0"}
    form.update({"stage-1-channel-1": PHONE, "stage-1-retry-1": "3", "stage-1-channel-0": MAIL, "stage-1-retry-0": "0"})

    assert forms.plan_of(forms.stages_of_plan(plan)) == plan
    # The form numbers channels by row: the phone (row 1) comes after the mail (row 0) whatever the plan's order.
    assert forms.plan_of(forms.stages_of_form(form))["Stages"][1]["Targets"] == [
        {"ChannelTargetInfo": {"ContactChannelId": MAIL, "RetryIntervalInMinutes": 0}},
        {"ChannelTargetInfo": {"ContactChannelId": PHONE, "RetryIntervalInMinutes": 3}},
    ]
    assert forms.channel_rows([{"ContactChannelArn": MAIL}], forms.stages_of_plan(plan)) == rows


def test_escalation_targets_keep_their_order_and_acknowledgement() -> None:
    form = {
        "stages": "1",
        "stage-0-minutes": "10",
        "stage-0-target-1": PRIMARY,
        "stage-0-target-0": DANA,
        "stage-0-essential-0": "yes",
        "stage-0-target-2": "",
    }

    assert forms.plan_of(forms.stages_of_form(form)) == {
        "Stages": [
            {
                "DurationInMinutes": 10,
                "Targets": [
                    {"ContactTargetInfo": {"ContactId": DANA, "IsEssential": True}},
                    {"ContactTargetInfo": {"ContactId": PRIMARY, "IsEssential": False}},
                ],
            }
        ]
    }


def test_text_that_is_not_a_number_goes_to_the_api_as_it_was_typed() -> None:
    stages = forms.stages_of_form({"stages": "1", "stage-0-minutes": "five", "stage-0-channel-0": MAIL})
    assert forms.plan_of(stages)["Stages"][0]["DurationInMinutes"] == "five"


def test_the_buttons_change_the_stages_and_anything_else_saves() -> None:
    stages = forms.stages_of_form({"stages": "2", "stage-0-minutes": "1", "stage-1-minutes": "2"})

    assert [s.minutes for s in forms.change(stages, "add-stage") or []] == ["1", "2", ""]
    assert [s.minutes for s in forms.change(stages, "remove-stage-0") or []] == ["2"]
    assert len((forms.change(stages, "add-target-1") or [])[1].targets) == 1
    assert forms.change(stages, "save") is None
    assert forms.change(stages, "remove-stage-7") is None


def test_a_form_cannot_make_more_stages_than_the_limit() -> None:
    assert len(forms.stages_of_form({"stages": "100000"})) == forms.MAX_STAGES


def test_the_apis_messages_land_beside_the_stage_field_they_name() -> None:
    stages = forms.stages_of_form(
        {"stages": "2", "stage-0-minutes": "5", "stage-1-minutes": "45", "stage-1-channel-1": PHONE}
    )
    at = "Value '45' at 'Plan.Stages.2.member.DurationInMinutes' failed to satisfy constraint: Member must be <= 30"
    retry = (
        "Value '99' at 'Plan.Stages.2.member.Targets.1.member.ChannelTargetInfo.RetryIntervalInMinutes' "
        "failed to satisfy constraint: Member must be <= 60"
    )
    zero = "Invalid value provided - stage 1 has a DurationInMinutes of 0 and no target"

    assert forms.plan_errors(ServiceError("ValidationException", at), stages, [MAIL, PHONE]).fields == {
        "stage-1-minutes": at
    }
    assert forms.plan_errors(ServiceError("ValidationException", retry), stages, [MAIL, PHONE]).fields == {
        "stage-1-retry-1": retry
    }
    assert forms.plan_errors(ServiceError("ValidationException", zero), stages, []).fields == {"stage-0-minutes": zero}
    assert forms.plan_errors(ServiceError("ValidationException", "other"), stages, []).form == "other"
