"""The order API: the operator's own channels' signed door into the bridge (docs/api.md).

Its own listener (``[api] listen``), its own application: ``make_api_app``.
"""

from __future__ import annotations

from bridge.api.app import make_api_app, serving_api
from bridge.api.context import ApiContext

__all__ = ["ApiContext", "make_api_app", "serving_api"]
