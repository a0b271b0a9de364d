"""Templates and the filters they use: times in the viewer's zone, durations, impact names, JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from markupsafe import Markup, escape

IMPACTS = {1: "Critical", 2: "High", 3: "Medium", 4: "Low", 5: "No impact"}


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@jinja2.pass_context
def when(context: jinja2.runtime.Context, seconds: float | None) -> Markup:
    """A <time> in the viewer's chosen zone (UTC until they choose; the script shows the browser's), UTC on hover."""
    if seconds is None:
        return Markup("—")
    moment = datetime.fromtimestamp(seconds, UTC)
    utc = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    who = context.get("who")
    zone = _zone(who.time_zone if who is not None else None)
    chosen = zone is not None
    shown = moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z") if zone is not None else utc
    return Markup('<time datetime="{}" title="{}" data-zone-chosen="{}">{}</time>').format(
        moment.isoformat().replace("+00:00", "Z"), utc, "yes" if chosen else "no", shown
    )


def duration(start: float | None, end: float | None, now: float) -> str:
    """How long from start to end (or now): '3 d 4 h', '2 h 5 min', '40 s'."""
    if start is None:
        return "—"
    seconds = max(0, int((end if end is not None else now) - start))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


def impact_name(impact: int | None) -> str:
    """'1 Critical' … '5 No impact'."""
    return f"{impact} {IMPACTS.get(impact or 0, '')}".strip() if impact is not None else "—"


def pretty_json(value: Any) -> str:
    """A value as indented JSON."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def readable_data(text: str | None) -> str:
    """A timeline event's data as people read it: JSON strings decoded, notes as their text, objects indented."""
    if not text:
        return ""
    try:
        decoded = json.loads(text)
    except ValueError:
        return text
    if isinstance(decoded, str):
        return decoded
    if isinstance(decoded, dict) and isinstance(decoded.get("content"), str):
        author = decoded.get("author")
        if isinstance(author, str):  # an ARN: the user's name is its last part
            return f"{decoded['content']}\n— {author.rsplit('/', 1)[-1]}"
        return str(decoded["content"])
    return pretty_json(decoded)


def note_text(text: str | None) -> str:
    """A note's own words, without the author line readable_data adds: what its edit form starts with."""
    try:
        decoded = json.loads(text or "")
    except ValueError:
        return text or ""
    if isinstance(decoded, dict) and isinstance(decoded.get("content"), str):
        return str(decoded["content"])
    return readable_data(text)


def note_author(text: str | None) -> str | None:
    """The author ARN a note written in the console carries, or None."""
    try:
        decoded = json.loads(text or "")
    except ValueError:
        return None
    author = decoded.get("author") if isinstance(decoded, dict) else None
    return author if isinstance(author, str) else None


def environment() -> jinja2.Environment:
    """The template environment: templates inside the package, everything escaped."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("incidentd.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(impact_name=impact_name, pretty_json=pretty_json, readable=readable_data, note_text=note_text)
    env.globals.update(when=when, duration=duration, IMPACTS=IMPACTS, escape=escape)
    return env
