"""Placeholder: filled in by the work on issue 16."""

from __future__ import annotations

from starlette.routing import BaseRoute

from incidentd.console.app import Console


def routes(console: Console) -> list[BaseRoute]:
    """This module's endpoints."""
    return []
