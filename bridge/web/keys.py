"""The application's typed keys, in a leaf module of their own.

The daemon (``bridge.app``) fills them and the console (``bridge.web``) reads
them; keeping them here lets the console be imported, served over ready-made
deps and tested without the daemon's wiring (every client and the scheduler).
"""

from __future__ import annotations

from aiohttp import web

from bridge.services.deps import Deps
from bridge.settings import Settings

__all__ = ["DEPS_KEY", "SETTINGS_KEY"]

SETTINGS_KEY = web.AppKey("settings", Settings)
DEPS_KEY = web.AppKey("deps", Deps)
