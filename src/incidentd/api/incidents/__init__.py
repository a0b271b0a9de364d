"""ssm-incidents handlers; importing this package registers all of them."""

from incidentd.api.incidents import (  # noqa: F401  (imports register the handlers)
    findings,
    incident_records,
    policies,
    related_items,
    replication_sets,
    response_plans,
    tags,
    timeline,
)
