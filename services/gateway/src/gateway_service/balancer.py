"""Which replica of a service the gateway sends a request to.

Each service may be given several base URLs (``GATEWAY_PROPOSAL_URL=http://a:8000,http://b:8000``).
Requests go round-robin over them, each gateway replica starting at a random one so that N
gateways do not all begin with the first. A replica the gateway could not connect to is ejected
for ``eject_s``: it goes to the end of the order, so it is tried only when every other replica
failed too (a single replica is therefore always tried, as it was before there were several).
The first request it answers afterwards puts it back in the rotation.

Whether a failed request may go on to the next replica is the caller's decision (proxy.py): a
request whose connection was never made never reached the service and may always go on; one that
may have reached it only if sending it twice is harmless.
"""

import itertools
import random
import time
from collections.abc import Callable


class ReplicaPool:
    def __init__(
        self,
        urls: list[str],
        *,
        eject_s: float,
        clock: Callable[[], float] = time.monotonic,
        start: int | None = None,
    ) -> None:
        if not urls:
            raise ValueError("a service needs at least one base URL")
        self.urls = list(dict.fromkeys(urls))  # a URL named twice is one replica
        self.eject_s = eject_s
        self._clock = clock
        self._turn = itertools.count(random.randrange(len(self.urls)) if start is None else start)
        self._down_until: dict[str, float] = {}

    def order(self) -> list[str]:
        """The replicas to try for one request, in order: the next in the rotation first, the
        healthy ones, then the ejected ones by how soon they come back."""
        n = len(self.urls)
        first = next(self._turn) % n
        rotation = self.urls[first:] + self.urls[:first]
        now = self._clock()
        down = {url: until for url, until in self._down_until.items() if until > now}
        healthy = [url for url in rotation if url not in down]
        return healthy + sorted(down, key=lambda url: down[url])

    def eject(self, url: str) -> None:
        """``url`` refused the connection (or did not accept it in time): skip it for a while."""
        self._down_until[url] = self._clock() + self.eject_s

    def answered(self, url: str) -> None:
        """``url`` answered: it is back in the rotation."""
        self._down_until.pop(url, None)

    def ejected(self) -> list[str]:
        now = self._clock()
        return [url for url, until in self._down_until.items() if until > now]
