"""The JSON API under /api/v1 (bearer tokens)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
