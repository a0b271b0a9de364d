"""aws:executeAwsApi takes times the way a runbook writes them and hands the handlers epoch seconds."""

from __future__ import annotations

from incidentd.protocol import model
from incidentd.runbooks.timestamps import to_wire

CREATE_EVENT = model.operation(model.INCIDENTS, "CreateTimelineEvent").input_shape
LIST_INCIDENTS = model.operation(model.INCIDENTS, "ListIncidentRecords").input_shape
MOMENT = 1795689000.0  # 2026-11-26T10:30:00Z


def test_iso_automation_and_numeric_times_become_epoch_seconds():
    for written in ("2026-11-26T10:30:00Z", "2026-11-26T11:30:00+01:00", "2026-11-26_10.30.00", "1795689000", MOMENT):
        params = to_wire(CREATE_EVENT, {"eventTime": written, "eventData": "2026-11-26T10:30:00Z"})
        assert params == {"eventTime": MOMENT, "eventData": "2026-11-26T10:30:00Z"}, written


def test_times_nested_in_lists_and_structures_are_converted_too():
    condition = {"before": "2026-11-26T10:30:00Z"}
    params = to_wire(LIST_INCIDENTS, {"filters": [{"key": "creationTime", "condition": condition}]})
    assert params["filters"][0]["condition"] == {"before": MOMENT}


def test_text_that_is_no_time_is_left_for_validation_to_refuse():
    assert to_wire(CREATE_EVENT, {"eventTime": "yesterday"}) == {"eventTime": "yesterday"}
