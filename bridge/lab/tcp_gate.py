"""A TCP gate in front of a database server: open, it passes bytes both ways; shut, it refuses.

The torture's daemons reach PostgreSQL through it, so "the server refuses
connections" can be played without stopping a server other people share:
``shut`` cuts every connection it carries (as a server that stops or restarts
does) and closes its port, so a new connection is refused (ECONNREFUSED);
``open`` listens again on the same port. Only the daemons go through the gate;
the torture's own reads use the server directly.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["TcpGate"]


class TcpGate:
    """``127.0.0.1:port`` → ``upstream``, open or shut."""

    def __init__(self, upstream_host: str, upstream_port: int, port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.cut = 0  # connections cut by ``shut``, over the gate's life

    @property
    def is_open(self) -> bool:
        return self._server is not None

    async def open(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._carry, "127.0.0.1", self.port, reuse_address=True)

    async def shut(self) -> None:
        """Refuse new connections and cut the ones carried."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            self.cut += 1
            writer.transport.abort()
        self._writers.clear()
        if server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 5.0)

    async def _carry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer, up_writer}
        self._writers |= pair
        try:
            await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        finally:
            self._writers -= pair
            for w in pair:
                w.transport.abort()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until either side closes or fails; then end the other side too."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.transport.abort()
