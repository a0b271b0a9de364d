"""The ssm slice incidentd serves (Automation documents and executions); importing registers the handlers."""

from incidentd.api.ssm import documents, executions, listing  # noqa: F401  (imports register the handlers)
