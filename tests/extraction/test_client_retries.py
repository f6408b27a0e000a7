"""The portal client against the simulator over HTTP: which failures are retried, how long it waits, and what
it says when it gives up."""

from __future__ import annotations

import logging

import httpx
import pytest

from orchestration.portal.client import (
    PortalClient,
    PortalRequestError,
    PortalUnavailableError,
    RetryPolicy,
    _page_header,
    page_records,
)
from orchestration.portal.simulator.server import PortalSimulator
from tests.conftest import AS_OF, TEST_CONFIG

PERIOD = "2025-07"
DOSSIERS = "/api/v1/sync/dossiers"


def script_faults(sim: PortalSimulator, *rules: dict) -> None:
    httpx.post(f"{sim.url}/_sim/faults", json=list(rules)).raise_for_status()


def requests_to(sim: PortalSimulator, path: str) -> int:
    return httpx.get(f"{sim.url}/_sim/stats").json()["requests"].get(path, 0)


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_client(sim: PortalSimulator, **kwargs) -> tuple[PortalClient, RecordingSleep]:
    sleep = RecordingSleep()
    policy = kwargs.pop("retry", RetryPolicy(max_attempts=4, base_delay=0.25, max_delay=2.0))
    return PortalClient(sim.url, retry=policy, sleep=sleep, **kwargs), sleep


def test_429_is_retried_after_the_seconds_retry_after_asks(simulator):
    script_faults(simulator, {"kind": "429", "path": DOSSIERS, "times": 2, "retry_after": 7})
    client, sleep = make_client(simulator)
    page = client.get_feed_page("dossiers", PERIOD, limit=10)
    assert len(page.records) == 10
    assert requests_to(simulator, DOSSIERS) == 3
    assert sleep.waits == [7.0, 7.0]
    assert [e.reason for e in client.retry_events] == ["HTTP 429", "HTTP 429"]


def test_503_is_retried_with_exponential_backoff(simulator):
    script_faults(simulator, {"kind": "503", "path": DOSSIERS, "times": 3})
    client, sleep = make_client(simulator)
    client.get_feed_page("dossiers", PERIOD, limit=10)
    assert requests_to(simulator, DOSSIERS) == 4
    assert sleep.waits == [0.25, 0.5, 1.0]


def test_backoff_is_capped():
    policy = RetryPolicy(base_delay=1, max_delay=5)
    assert [policy.backoff(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]


def test_dropped_connection_is_retried(simulator):
    script_faults(simulator, {"kind": "drop", "path": DOSSIERS, "times": 1})
    client, sleep = make_client(simulator)
    page = client.get_feed_page("dossiers", PERIOD, limit=10)
    assert len(page.records) == 10
    assert requests_to(simulator, DOSSIERS) == 2
    assert sleep.waits == [0.25]
    assert client.retry_events[0].reason.startswith("connection failed")


def test_response_slower_than_the_timeout_is_retried(simulator):
    script_faults(simulator, {"kind": "slow", "path": DOSSIERS, "times": 1, "delay": 1.5})
    client, sleep = make_client(simulator, timeout=0.4)
    page = client.get_feed_page("dossiers", PERIOD, limit=10)
    assert len(page.records) == 10
    assert requests_to(simulator, DOSSIERS) == 2
    assert sleep.waits == [0.25]
    assert client.retry_events[0].reason.startswith("timeout after 0.4s")


def test_retries_are_bounded_and_the_error_names_the_endpoint(simulator):
    script_faults(simulator, {"kind": "500", "path": DOSSIERS, "times": None})
    client, sleep = make_client(simulator)
    with pytest.raises(PortalUnavailableError) as err:
        client.get_feed_page("dossiers", PERIOD, limit=10)
    assert requests_to(simulator, DOSSIERS) == 4
    assert sleep.waits == [0.25, 0.5, 1.0]
    assert "GET /api/v1/sync/dossiers" in str(err.value)
    assert "4 attempts" in str(err.value) and "HTTP 500" in str(err.value)


def test_401_fails_at_once_and_never_shows_the_token(portal_data, caplog, capsys):
    canary = "canary-token-7f3a9c1e5b"
    caplog.set_level(logging.DEBUG)
    with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=AS_OF, token=canary) as sim:
        client, sleep = make_client(sim, token=canary[::-1])
        with pytest.raises(PortalRequestError) as err:
            client.get_feed_page("dossiers", PERIOD, limit=10)
        assert err.value.status == 401
        assert requests_to(sim, DOSSIERS) == 1
        assert sleep.waits == []
        message = str(err.value)
        assert "GET /api/v1/sync/dossiers" in message and "401" in message and "PORTAL_TOKEN" in message
        good, _ = make_client(sim, token=canary)
        assert len(good.get_feed_page("dossiers", PERIOD, limit=5).records) == 5
        shown = [message, repr(err.value), repr(client), repr(good), caplog.text, *capsys.readouterr()]
    for text in shown:
        assert canary not in text and canary[::-1] not in text


@pytest.mark.parametrize("status", [400, 404])
def test_other_client_errors_fail_at_once(simulator, status):
    client, sleep = make_client(simulator)
    with pytest.raises(PortalRequestError) as err:
        if status == 404:
            client.get_feed_page("no-such-feed", PERIOD)
        else:
            client.get_feed_page("dossiers", "2019-01")
    assert err.value.status == status
    assert sleep.waits == []


def test_a_page_body_gives_the_same_paging_fields_as_the_decoded_page(simulator):
    client, _ = make_client(simulator)
    with client:
        cursor = None
        for _ in range(3):
            decoded = client.get_feed_page("dossiers", PERIOD, cursor, limit=200)
            body = client.get_feed_page_body("dossiers", PERIOD, cursor, limit=200)
            assert (body.total, body.next_cursor, body.generated_at) == (
                decoded.total, decoded.next_cursor, decoded.generated_at
            )
            assert page_records(body.body) == decoded.records
            cursor = decoded.next_cursor


def test_the_paging_fields_are_read_as_the_full_decode_reads_them():
    # a total sent as text, as the decoded page accepts it (int("12")); a NaN elsewhere in the body
    header, _ = _page_header(b'{"total": "12", "data": [{"x": NaN}], "next_cursor": null}')
    assert int(header["total"]) == 12 and header["next_cursor"] is None and header["has_data"]
    # no `data` at all: the page is refused, as the decoded page refuses it
    assert _page_header(b'{"total": 3}')[0]["has_data"] is False
    # bytes that are not UTF-8 inside a record: ValueError, which the client retries as a garbled response
    with pytest.raises(ValueError):
        _page_header(b'{"total": 1, "data": [{"x": "\xff\xfe"}]}')
    with pytest.raises(ValueError):
        _page_header(b'{"total": 1, "data": [')
