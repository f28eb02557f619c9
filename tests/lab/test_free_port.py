"""The lab's listen ports: free, and never from the range outgoing connections take their local ports
from, so a daemon restarted after a kill can always bind its addresses again."""

from __future__ import annotations

import socket

from bridge.lab.daemon_process import ephemeral_ports, free_port


def test_a_free_port_is_below_the_ephemeral_range_and_can_be_bound() -> None:
    for _ in range(20):
        port = free_port()
        assert port < ephemeral_ports().start
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_in_use_is_not_handed_out() -> None:
    """A port bound by someone else is never the answer."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", free_port()))
        taken = held.getsockname()[1]
        assert all(free_port() != taken for _ in range(50))
