"""The client as a trusted reverse proxy names it: its address and whether it spoke HTTPS.

Only a peer inside ``[console] trusted_proxies`` may say who the client is
(``X-Forwarded-For``) and how it came (``X-Forwarded-Proto``); from anyone else
both headers are ignored, so a client cannot pass for another address (the
login throttle counts per address) nor make a plain-HTTP cookie look secure.
Behind such a proxy the request seen by the handlers carries the client's
address as ``remote`` and its scheme, so cookies get ``Secure`` and answers
HSTS when the client used HTTPS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web
from aiohttp.typedefs import Handler

from bridge.web.render import deps_of

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str | None, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(chain: str, peer: str, proxies: Sequence[Network]) -> str:
    """The right-most address of ``X-Forwarded-For`` not a trusted proxy (the proxies append their
    peer: what a client wrote stands to its left); the peer when the header names none."""
    hops = [hop.strip() for hop in chain.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer


@web.middleware
async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Behind a trusted proxy, the handlers see the client's address and scheme."""
    proxies = deps_of(request).settings.console.trusted_proxies
    if not proxies or not _trusted(request.remote, proxies):
        return await handler(request)
    changes: dict[str, str] = {}
    chain = request.headers.get("X-Forwarded-For", "")
    if chain:
        changes["remote"] = client_address(chain, request.remote or "", proxies)
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
    if proto in ("http", "https"):
        changes["scheme"] = proto
    return await handler(request.clone(**changes) if changes else request)  # type: ignore[arg-type]
