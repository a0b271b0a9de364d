"""Prometheus Alertmanager's webhook (payload version 4): one notification per alert group."""

from __future__ import annotations

from typing import Any

from incidentd.ingest.common import MAX_SUMMARY, RESOLVE, START, PayloadError, Signal, epoch, impact_of, raw_data

SOURCE = "io.prometheus.alertmanager"
# The members of each alert kept in rawData: enough to see what fired without the generator's whole state.
_ALERT_MEMBERS = ("status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint")


def parse(payload: dict[str, Any], now: float) -> Signal:
    """A firing group starts (or joins) an incident; a resolved group resolves it."""
    return group_signal(payload, now, SOURCE, _ALERT_MEMBERS)


def group_signal(payload: dict[str, Any], now: float, source: str, members: tuple[str, ...]) -> Signal:
    """The signal of an Alertmanager-shaped notification (Grafana's contact point sends the same shape)."""
    group = payload.get("groupKey")
    status = payload.get("status")
    alerts = payload.get("alerts")
    if not isinstance(group, str) or not group:
        raise PayloadError("groupKey must be a non-empty string")
    if status not in ("firing", "resolved"):
        raise PayloadError("status must be 'firing' or 'resolved'")
    if not isinstance(alerts, list) or not all(isinstance(a, dict) for a in alerts):
        raise PayloadError("alerts must be a list of objects")
    common_labels = _strings(payload.get("commonLabels"))
    common_annotations = _strings(payload.get("commonAnnotations"))
    firing = [a for a in alerts if a.get("status") == "firing"] or alerts
    kept = [{k: a[k] for k in members if k in a} for a in alerts]
    record = {
        "groupKey": group,
        "status": status,
        "receiver": payload.get("receiver"),
        "groupLabels": payload.get("groupLabels"),
        "commonLabels": common_labels,
        "commonAnnotations": common_annotations,
        "externalURL": payload.get("externalURL"),
        "truncatedAlerts": payload.get("truncatedAlerts", 0),
        "alerts": kept,
    }
    # Every alert of the group is recorded on the timeline (in the trigger's rawData) as far as it fits.
    data = raw_data(record, shrink=kept)
    starts = [epoch(a.get("startsAt"), now) for a in firing]
    return Signal(
        action=START if status == "firing" else RESOLVE,
        source=source,
        timestamp=min(starts) if starts and status == "firing" else now,
        raw_data=data,
        group=group,
        alert=describe(payload, alerts),
        impact=impact_of(common_labels.get("impact"), common_annotations.get("impact")),
        summary=_summary(common_annotations, alerts),
    )


def describe(payload: dict[str, Any], alerts: list[dict[str, Any]]) -> str:
    """The alert group in a few words: its alert names and, for several alerts, how many fire."""
    names: list[str] = []
    for labels in [_strings(payload.get("groupLabels")), _strings(payload.get("commonLabels"))] + [
        _strings(a.get("labels")) for a in alerts
    ]:
        name = labels.get("alertname")
        if name and name not in names:
            names.append(name)
    text = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    if not text:
        text = ", ".join(f"{k}={v}" for k, v in _strings(payload.get("groupLabels")).items()) or "alert"
    firing = sum(1 for a in alerts if a.get("status") == "firing")
    return f"{text} ({firing} firing)" if firing > 1 else text


def _summary(annotations: dict[str, str], alerts: list[dict[str, Any]]) -> str | None:
    """The group's common summary or description, else the first alert's."""
    for source in [annotations] + [_strings(a.get("annotations")) for a in alerts[:1]]:
        text = source.get("summary") or source.get("description")
        if text:
            return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"
    return None


def _strings(value: Any) -> dict[str, str]:
    """A label or annotation set; anything else counts as empty."""
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}
