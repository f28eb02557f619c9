"""The torture's gate before the database server: open it carries bytes, shut it cuts and refuses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bridge.lab.daemon_process import free_port
from bridge.lab.tcp_gate import TcpGate


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(1024):
        writer.write(data)
        await writer.drain()
    writer.close()


@pytest.fixture
async def gate() -> AsyncIterator[TcpGate]:
    """A gate, open, before an echo server."""
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    upstream_port = server.sockets[0].getsockname()[1]
    g = TcpGate("127.0.0.1", upstream_port, free_port())
    await g.open()
    try:
        yield g
    finally:
        await g.shut()
        server.close()


async def _round_trip(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"ping")
    await writer.drain()
    answer = await reader.read(4)
    writer.close()
    return answer


async def test_an_open_gate_carries_bytes_both_ways(gate: TcpGate) -> None:
    """Through the open gate the server answers as if reached directly."""
    assert await _round_trip(gate.port) == b"ping"


async def test_a_shut_gate_refuses_new_connections(gate: TcpGate) -> None:
    """Shut, the gate's port refuses a connection, as a stopped server's does."""
    await gate.shut()
    with pytest.raises(ConnectionRefusedError):
        await _round_trip(gate.port)


async def test_shutting_the_gate_cuts_the_connections_it_carries(gate: TcpGate) -> None:
    """A connection open through the gate ends when the gate shuts."""
    reader, writer = await asyncio.open_connection("127.0.0.1", gate.port)
    writer.write(b"ping")
    await reader.readexactly(4)
    await gate.shut()
    try:
        rest = await asyncio.wait_for(reader.read(1), 5.0)
    except ConnectionResetError:
        rest = b""
    assert rest == b""
    assert gate.cut == 2  # both halves of the one connection
    writer.close()


async def test_the_gate_opens_again_on_the_same_port(gate: TcpGate) -> None:
    """After a shut, ``open`` listens on the same port and carries bytes again."""
    await gate.shut()
    await gate.open()
    assert await _round_trip(gate.port) == b"ping"
