"""A free TCP port on 127.0.0.1 for a server a test starts (and may kill and restart).

The port is taken below the kernel's ephemeral range: a client that keeps reconnecting to a
killed server on an ephemeral port can, by chance, be given that very port as its own
source port and connect to itself (a TCP self-connect). It then reads its own commands back
as replies, thinks the server is up, and waits for ever (test_mirror_redis hung so in CI)."""

from __future__ import annotations

import random
import socket
from pathlib import Path


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    low = min(_ephemeral_low(), 32768)
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port below {low}")
