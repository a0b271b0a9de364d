"""ssm-contacts handlers; importing this package registers all of them."""

from incidentd.api.contacts import (  # noqa: F401  (imports register the handlers)
    channels,
    contacts,
    engagements,
    overrides,
    pages,
    policies,
    rotations,
    shifts,
    tags,
)
