"""The Pinduoduo open-platform storefront adapter and its local sandbox.

``PinduoduoClient`` implements ``bridge.ports.storefront.StorefrontPort`` over
the platform's gateway (see ``docs/storefronts/pinduoduo.md``);
``adapters.pinduoduo.sandbox`` is a real aiohttp server speaking the same
protocol, for demos and tests. They share only ``signing`` (the published
signature and time forms); each has its own wire shapes, and neither imports
the other.
"""

from __future__ import annotations

from adapters.pinduoduo.classify import classify
from adapters.pinduoduo.client import NOTE_MAX_CHARS, PinduoduoClient
from adapters.pinduoduo.signing import sign

__all__ = ["NOTE_MAX_CHARS", "PinduoduoClient", "classify", "sign"]
