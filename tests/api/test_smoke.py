"""The shortest path a new user takes: onboard, create a plan, start an incident, read it back."""


def test_start_incident_from_a_new_plan(incidents, response_plan):
    arn = incidents.start_incident(responsePlanArn=response_plan)["incidentRecordArn"]
    record = incidents.get_incident_record(arn=arn)["incidentRecord"]
    assert record["status"] == "OPEN"
    assert record["title"] == "Test incident"
    assert record["impact"] == 3
