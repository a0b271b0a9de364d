"""The rotation and schedule forms' fields as pure code: what a posted form means to CreateRotation, UpdateRotation,
ListPreviewRotationShifts and CreateContact, and back from what GetRotation answers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from incidentd.console.rotation_form import RotationFields, ScheduleFields, field_of, moves

BERLIN = ZoneInfo("Europe/Berlin")
ARNS = [f"arn:aws:ssm-contacts:us-east-1:111122223333:contact/{alias}" for alias in ("ama", "yaw", "kofi")]


def _posted(**extra: str) -> dict[str, str]:
    form = {
        "name": "Checkout primary",
        "member-0": ARNS[1],
        "member-1": ARNS[0],
        "member-2": ARNS[2],
        "start": "2030-03-25T09:00",
        "time_zone": "Europe/Berlin",
        "kind": "weekly",
        "handoff-count": "2",
        "handoff-0-weekday": "MON",
        "handoff-0-time": "09:00",
        "handoff-1-weekday": "THU",
        "handoff-1-time": "17:30",
        "shift_length": "2",
        "on_calls": "1",
    }
    return {**form, **extra}


def test_a_posted_form_is_the_create_rotation_request_it_describes() -> None:
    params = RotationFields.parse(_posted()).create_params()
    assert params == {
        "Name": "Checkout primary",
        "ContactIds": [ARNS[1], ARNS[0], ARNS[2]],
        "TimeZoneId": "Europe/Berlin",
        "StartTime": datetime(2030, 3, 25, 9, 0, tzinfo=BERLIN).timestamp(),
        "Recurrence": {
            "WeeklySettings": [
                {"DayOfWeek": "MON", "HandOffTime": {"HourOfDay": 9, "MinuteOfHour": 0}},
                {"DayOfWeek": "THU", "HandOffTime": {"HourOfDay": 17, "MinuteOfHour": 30}},
            ],
            "NumberOfOnCalls": 1,
            "RecurrenceMultiplier": 2,
        },
    }


def test_daily_and_monthly_hand_offs_and_coverage_times() -> None:
    daily = RotationFields.parse(_posted(kind="daily", **{"cover-MON-start": "08:00", "cover-MON-end": "18:00"}))
    recurrence = daily.recurrence()
    assert recurrence["DailySettings"] == [{"HourOfDay": 9, "MinuteOfHour": 0}, {"HourOfDay": 17, "MinuteOfHour": 30}]
    assert recurrence["ShiftCoverages"] == {
        "MON": [{"Start": {"HourOfDay": 8, "MinuteOfHour": 0}, "End": {"HourOfDay": 18, "MinuteOfHour": 0}}]
    }
    monthly = RotationFields.parse(_posted(kind="monthly", **{"handoff-0-monthday": "15", "handoff-1-monthday": "1"}))
    assert monthly.recurrence()["MonthlySettings"][0] == {
        "DayOfMonth": 15,
        "HandOffTime": {"HourOfDay": 9, "MinuteOfHour": 0},
    }
    assert "ShiftCoverages" not in monthly.recurrence()


def test_values_that_are_no_numbers_go_to_the_api_as_typed() -> None:
    fields = RotationFields.parse(_posted(**{"handoff-0-time": "09:61", "shift_length": "two", "start": "soon"}))
    recurrence = fields.recurrence()
    assert recurrence["WeeklySettings"][0]["HandOffTime"] == {"HourOfDay": 9, "MinuteOfHour": 61}
    assert recurrence["RecurrenceMultiplier"] == "two"
    assert fields.create_params()["StartTime"] == "soon"


def test_a_stored_rotation_fills_the_form_that_gives_it_back() -> None:
    posted = RotationFields.parse(_posted(**{"cover-SAT-start": "10:00", "cover-SAT-end": "10:00"}))
    params = posted.create_params()
    stored = {**params, "RotationArn": "arn:aws:ssm-contacts:us-east-1:111122223333:rotation/r1"}
    again = RotationFields.of_rotation(stored, params["StartTime"])
    assert again == posted
    assert again.update_params(stored["RotationArn"]) == {
        "RotationId": stored["RotationArn"],
        **{key: value for key, value in params.items() if key != "Name"},
    }


def test_buttons_that_edit_the_form_move_add_and_remove() -> None:
    fields = RotationFields.parse(_posted())
    assert fields.apply("up-1") and fields.members == [ARNS[0], ARNS[1], ARNS[2]]
    assert fields.apply("down-2") and fields.members == [ARNS[0], ARNS[1], ARNS[2]]  # the last can't go down
    assert fields.apply("remove-0") and fields.members == [ARNS[1], ARNS[2]]
    assert fields.apply("add-member", ARNS[0]) and fields.members == [ARNS[1], ARNS[2], ARNS[0]]
    assert fields.apply("add-member", ARNS[0]) and len(fields.members) == 3  # no one twice
    assert fields.apply("add-handoff") and len(fields.hand_offs) == 3
    assert fields.apply("remove-handoff-0") and [h.weekday for h in fields.hand_offs] == ["THU", "MON"]
    assert not fields.apply("save") and not fields.apply("preview")
    assert moves([], "up-5")


def test_preview_parameters_name_the_members_and_the_rotation_start() -> None:
    fields = RotationFields.parse(_posted())
    params = fields.preview_params(["yaw", "ama", "kofi"], 100.0, 200.0)
    assert params["Members"] == ["yaw", "ama", "kofi"]
    assert (params["StartTime"], params["EndTime"]) == (100.0, 200.0)
    assert params["RotationStartTime"] == fields.start_seconds()


def test_api_messages_are_placed_beside_the_field_they_name() -> None:
    fields = ("name", "members", "handoffs", "shift_length", "on_calls", "coverage", "time_zone", "start")
    minute = "1 validation error detected: Value '61' at 'Recurrence.WeeklySettings.1.member.HandOffTime.MinuteOfHour'"
    assert field_of(minute, fields) == "handoffs"
    assert field_of("NumberOfOnCalls (3) is more than the 2 contacts", fields) == "on_calls"
    assert field_of("Value '[]' at 'ContactIds' failed to satisfy constraint", fields) == "members"
    assert field_of("Value at 'Recurrence.ShiftCoverages.MON.member.End.HourOfDay'", fields) == "coverage"
    assert field_of("Something else entirely", fields) is None


def test_a_schedule_form_is_a_contact_with_rotations_in_order() -> None:
    rotations = [f"arn:aws:ssm-contacts:us-east-1:111122223333:rotation/r{i}" for i in range(3)]
    form = {"alias": "checkout", "display_name": "Checkout", "rotation-0": rotations[2], "rotation-1": rotations[0]}
    fields = ScheduleFields.parse(form)
    assert fields.create_params() == {
        "Alias": "checkout",
        "DisplayName": "Checkout",
        "Type": "ONCALL_SCHEDULE",
        "Plan": {"Stages": [], "RotationIds": [rotations[2], rotations[0]]},
    }
    assert fields.apply("add-rotation", rotations[1]) and fields.apply("up-2")
    assert fields.update_params("arn:c") == {
        "ContactId": "arn:c",
        "DisplayName": "Checkout",
        "Plan": {"Stages": [], "RotationIds": [rotations[2], rotations[1], rotations[0]]},
    }
