"""Local Kafka and PostgreSQL servers for tests and manual runs, stdlib only."""

import socket
from contextlib import ExitStack

__all__ = ["free_port", "free_ports"]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now.

    The kernel picks it (bind to port 0); it may in theory be taken again
    before the caller binds it, which is acceptable for local servers.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports(count: int, *, besides: tuple[int, ...] = ()) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1, none of them in ``besides``, free right now.

    The sockets stay bound until all are picked: free_port() called twice may return one port twice
    (the first is released before the second bind), and two services given one port make the
    second fail to bind while the first answers for both.
    """
    with ExitStack() as held:
        ports: list[int] = []
        while len(ports) < count:
            sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
            if port not in besides:
                ports.append(port)
        return ports
