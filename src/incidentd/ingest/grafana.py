"""Grafana alerting's webhook contact point: Alertmanager's group shape with Grafana's own additions."""

from __future__ import annotations

from typing import Any

from incidentd.ingest.alertmanager import group_signal
from incidentd.ingest.common import Signal

SOURCE = "com.grafana.alerting"
# Grafana adds links and the evaluated values to each alert; the values say why it fired, so they are kept.
_ALERT_MEMBERS = (
    "status",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "generatorURL",
    "fingerprint",
    "dashboardURL",
    "panelURL",
    "values",
    "valueString",
)


def parse(payload: dict[str, Any], now: float) -> Signal:
    """A firing group starts (or joins) an incident; a resolved group resolves it, as with Alertmanager."""
    return group_signal(payload, now, SOURCE, _ALERT_MEMBERS)
