"""The gateway balances over a service's replicas: round-robin, a replica that refuses the connection
is skipped for a while and the request goes to another (any method: it never reached the service),
a request that may have reached one goes on only if it is safe, and the settings take a
comma-separated list. Its calls are timed and their failures counted by service and kind."""

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from starlette.requests import Request

from gateway_service.balancer import ReplicaPool
from gateway_service.proxy import Upstreams
from gateway_service.settings import GatewaySettings
from servicekit.errors import Problem
from servicekit.metrics import ServiceMetrics

A, B, C = "http://10.0.0.1:8000", "http://10.0.0.2:8000", "http://10.0.0.3:8000"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def request_for(method: str) -> Request:
    return Request({"type": "http", "method": method, "path": "/", "headers": [], "query_string": b""})


# --------------------------------------------------------------------------- the pool


def test_round_robin_over_the_replicas() -> None:
    pool = ReplicaPool([A, B, C], eject_s=5, start=0)
    firsts = [pool.order()[0] for _ in range(6)]
    assert firsts == [A, B, C, A, B, C]
    assert pool.order() == [A, B, C]  # the rest of the order follows the rotation


def test_an_ejected_replica_is_tried_last_until_its_time_is_up() -> None:
    clock = Clock()
    pool = ReplicaPool([A, B], eject_s=5, clock=clock, start=0)
    pool.eject(A)
    assert [pool.order() for _ in range(2)] == [[B, A], [B, A]]
    clock.now += 5.1
    assert {pool.order()[0] for _ in range(2)} == {A, B}


def test_an_answer_puts_an_ejected_replica_back() -> None:
    pool = ReplicaPool([A, B], eject_s=60, start=0)
    pool.eject(A)
    assert pool.ejected() == [A]
    pool.answered(A)
    assert pool.ejected() == [] and pool.order() == [A, B]


def test_with_every_replica_ejected_the_one_back_soonest_comes_first() -> None:
    clock = Clock()
    pool = ReplicaPool([A, B], eject_s=5, clock=clock, start=0)
    pool.eject(B)
    clock.now += 1
    pool.eject(A)
    assert pool.order() == [B, A]


def test_replicas_start_at_a_random_one_and_a_url_named_twice_is_one() -> None:
    assert {ReplicaPool([A, B, C], eject_s=1).order()[0] for _ in range(200)} == {A, B, C}
    assert ReplicaPool([A, A, B], eject_s=1).urls == [A, B]
    with pytest.raises(ValueError):
        ReplicaPool([], eject_s=1)


# --------------------------------------------------------------------------- forwarding


def upstreams_with(handle: "Handler", urls: list[str], eject_s: float = 5) -> Upstreams:
    settings = GatewaySettings(proposal_url=",".join(urls), upstream_eject_s=eject_s)
    upstreams = Upstreams(settings)
    upstreams.pools["proposal"] = ReplicaPool(settings.upstreams()["proposal"], eject_s=eject_s, start=0)
    upstreams.client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    return upstreams


class Handler:
    """A fake network: ``down`` hosts refuse connections, ``dropping`` hosts drop them mid-request."""

    def __init__(self, down: set[str] = frozenset(), dropping: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.down, self.dropping = set(down), set(dropping)
        self.calls: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        base = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        self.calls.append((request.method, base))
        if base in self.down:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if base in self.dropping:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(200, json={"replica": base})


async def test_requests_are_spread_over_the_replicas() -> None:
    handler = Handler()
    upstreams = upstreams_with(handler, [A, B])
    for _ in range(4):
        await upstreams.call("proposal", "GET", "/proposals", request_for("GET"))
    assert [base for _, base in handler.calls] == [A, B, A, B]


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
async def test_a_refused_connection_goes_to_the_other_replica_for_any_method(method: str) -> None:
    handler = Handler(down={A})
    upstreams = upstreams_with(handler, [A, B])
    answer = await upstreams.call("proposal", method, "/proposals", request_for(method), body=b"{}")
    assert answer.json() == {"replica": B}
    assert handler.calls == [(method, A), (method, B)]


async def test_a_refusing_replica_is_skipped_until_its_ejection_ends() -> None:
    handler = Handler(down={A})
    upstreams = upstreams_with(handler, [A, B])
    for _ in range(4):
        assert (await upstreams.call("proposal", "POST", "/p", request_for("POST"))).json() == {"replica": B}
    # A was tried once; afterwards every request went straight to B.
    assert [base for _, base in handler.calls] == [A, B, B, B, B]
    upstreams.pools["proposal"].eject_s = 0  # its time is up: A is in the rotation again
    upstreams.pools["proposal"].answered(A)
    handler.down.clear()
    bases = {(await upstreams.call("proposal", "GET", "/p", request_for("GET"))).json()["replica"] for _ in range(2)}
    assert bases == {A, B}


async def test_every_replica_refusing_is_a_503() -> None:
    handler = Handler(down={A, B})
    upstreams = upstreams_with(handler, [A, B])
    with pytest.raises(Problem) as caught:
        await upstreams.call("proposal", "POST", "/p", request_for("POST"))
    assert caught.value.status == 503 and caught.value.code == "upstream_unavailable"
    assert sorted(base for _, base in handler.calls) == [A, B]  # each tried once


async def test_a_dropped_safe_request_goes_once_to_the_other_replica() -> None:
    handler = Handler(dropping={A})
    upstreams = upstreams_with(handler, [A, B])
    answer = await upstreams.call("proposal", "GET", "/p", request_for("GET"))
    assert answer.json() == {"replica": B} and handler.calls == [("GET", A), ("GET", B)]
    # A dropped connection is the keep-alive race of a live service, not a dead one: A stays in.
    assert upstreams.pools["proposal"].ejected() == []


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_a_dropped_unsafe_request_is_not_sent_to_another_replica(method: str) -> None:
    # It may have been applied by A before the connection broke.
    handler = Handler(dropping={A})
    upstreams = upstreams_with(handler, [A, B])
    with pytest.raises(Problem) as caught:
        await upstreams.call("proposal", method, "/p", request_for(method), body=b"{}")
    assert caught.value.status == 503 and handler.calls == [(method, A)]


async def test_a_safe_request_is_resent_once_only() -> None:
    handler = Handler(dropping={A, B})
    upstreams = upstreams_with(handler, [A, B])
    with pytest.raises(Problem):
        await upstreams.call("proposal", "GET", "/p", request_for("GET"))
    assert handler.calls == [("GET", A), ("GET", B)]


async def test_a_connect_timeout_is_ejected_and_failed_over_too() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "10.0.0.1":
            raise httpx.ConnectTimeout("timed out", request=request)
        return httpx.Response(201)

    upstreams = upstreams_with(handle, [A, B])  # type: ignore[arg-type]
    assert (await upstreams.call("proposal", "POST", "/p", request_for("POST"))).status_code == 201
    assert upstreams.pools["proposal"].ejected() == [A]


# --------------------------------------------------------------------------- settings


def test_the_setting_takes_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_ASSIGNMENT_URL", "http://10.0.0.1:8000, http://10.0.0.2:8000/")
    upstreams = GatewaySettings().upstreams()
    assert upstreams["assignment"] == ["http://10.0.0.1:8000", "http://10.0.0.2:8000"]
    assert upstreams["proposal"] == ["http://127.0.0.1:8001"]  # one URL, as before


@pytest.mark.parametrize("value", ["", " , ", "http://10.0.0.1:8000,not a url"])
def test_an_empty_or_bad_list_names_the_setting(value: str) -> None:
    with pytest.raises(ValidationError, match="evaluation_url"):
        GatewaySettings(evaluation_url=value)


async def test_upstream_calls_are_timed_and_failures_counted_by_service_and_kind() -> None:
    class Failing(Handler):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/boom":
                return httpx.Response(502)
            if request.url.path == "/slow":
                raise httpx.ReadTimeout("timed out", request=request)
            return super().__call__(request)

    handler = Failing(down={B})
    upstreams = upstreams_with(handler, [A, B])
    upstreams.metrics = ServiceMetrics("gateway")
    await upstreams.call("proposal", "GET", "/p", request_for("GET"))
    await upstreams.call("proposal", "GET", "/boom", request_for("GET"))
    with pytest.raises(Problem):
        await upstreams.call("proposal", "GET", "/slow", request_for("GET"))
    handler.down = {A, B}
    with pytest.raises(Problem):
        await upstreams.call("proposal", "GET", "/p", request_for("GET"))

    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(upstreams.metrics.render().decode())
        for s in family.samples
    }

    def sample(name: str, **labels: str) -> float | None:
        return samples.get((name, tuple(sorted({"service": "gateway", "upstream": "proposal", **labels}.items()))))

    assert sample("upstream_request_duration_seconds_count", status="2xx") == 1
    assert sample("upstream_request_duration_seconds_count", status="5xx") == 1
    assert sample("upstream_errors_total", kind="server_error") == 1
    assert sample("upstream_errors_total", kind="timeout") == 1
    assert sample("upstream_errors_total", kind="unavailable") == 1
