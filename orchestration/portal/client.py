"""HTTP client of the portal's record feeds and published evaluation (PORTAL_API.md).

Transient failures (429, 500, 502, 503, 504, dropped connections, timeouts) are retried with bounded exponential
backoff that honours `Retry-After`; 400, 401, 403 and 404 fail at once. Errors name the endpoint and the status,
never the token, which only ever travels in the `Authorization` header.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
import orjson
import tenacity

from orchestration import __version__
from orchestration.settings import env_number

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
FEED_PATH = "/api/v1/sync/{dataset}"
EVALUATION_PATH = "/api/v1/reporting/evaluation/{endpoint}"
MAX_PAGE_SIZE = 5000
# The largest response body read: a 5,000-record dossier page is about 15 MB; a body beyond the bound is refused
# before it fills the memory (DVC_INDEX_MAX_PAGE_BYTES).
MAX_PAGE_BYTES_ENV = "DVC_INDEX_MAX_PAGE_BYTES"
DEFAULT_MAX_PAGE_BYTES = 256 * 1024 * 1024


def max_page_bytes() -> int:
    """The bound on one response body, from DVC_INDEX_MAX_PAGE_BYTES (default 256 MiB); refused if not a count."""
    return int(env_number(MAX_PAGE_BYTES_ENV, DEFAULT_MAX_PAGE_BYTES, whole=True, minimum=1, unit="bytes"))


class PortalError(Exception):
    """Base of every error the portal client raises; its message is safe to print."""

    def locate(self, where: str) -> None:
        """Add where the failure happened (the feed, period and page) to the message."""
        if self.args and isinstance(self.args[0], str) and where not in self.args[0]:
            self.args = (f"{self.args[0]} [at {where}]", *self.args[1:])


class PortalPageTooLargeError(PortalError):
    """A response larger than the configured bound: refused, not retried (it would be as large again)."""

    def __init__(self, endpoint: str, size: int, bound: int) -> None:
        self.endpoint = endpoint
        super().__init__(
            f"portal {endpoint} answered a body of {'more than ' if size > bound else ''}{size:,} bytes, beyond the "
            f"bound of {bound:,} ({MAX_PAGE_BYTES_ENV}): refused. Ask for smaller pages, or raise the bound if the "
            "portal's pages are this large"
        )


class PortalRequestError(PortalError):
    """The portal refused the request (4xx): retrying would not help."""

    def __init__(self, endpoint: str, status: int, detail: str = "") -> None:
        self.endpoint = endpoint
        self.status = status
        hint = {
            401: "check PORTAL_TOKEN (it was rejected)",
            403: "the token lacks access to this feed",
            404: "check PORTAL_BASE_URL and the dataset or period",
            400: "the request's parameters were refused",
        }.get(status, "")
        message = f"portal refused {endpoint} with HTTP {status}"
        if detail:
            message += f": {detail}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class PortalUnavailableError(PortalError):
    """The portal kept failing transiently until the retry budget ran out."""

    def __init__(self, endpoint: str, attempts: int, last_reason: str) -> None:
        self.endpoint = endpoint
        self.attempts = attempts
        self.last_reason = last_reason
        super().__init__(
            f"portal {endpoint} still failing after {attempts} attempts (last: {last_reason}); "
            "try again later or raise the retry budget"
        )


class _TransientError(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff: waits of base, 2×base, 4×base ... capped, or what Retry-After asks."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0

    def backoff(self, attempt: int) -> float:
        """Wait before retry number `attempt` (1 = the first retry)."""
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1))


@dataclass(frozen=True)
class RetryEvent:
    """One failed attempt that was (or would have been) retried."""

    endpoint: str
    attempt: int
    reason: str
    wait: float


@dataclass(frozen=True)
class FeedPage:
    dataset: str
    period: str
    total: int
    next_cursor: str | None
    generated_at: str | None
    records: list[dict[str, Any]]


@dataclass(frozen=True)
class FeedPageBody:
    """One page of a record feed with its records left as the portal sent them: `body` is the whole response,
    for a landing worker to decode (`page_records`). Paging needs only the fields read here."""

    dataset: str
    period: str
    total: int
    next_cursor: str | None
    generated_at: str | None
    body: bytes


class _PageHeader(msgspec.Struct):
    """A feed page's own fields; its records (`data`) are checked to be JSON but not built into objects."""

    total: int
    data: msgspec.Raw
    next_cursor: str | None = None
    generated_at: str | None = None
    dataset: str | None = None
    period: str | None = None


_PAGE_HEADER = msgspec.json.Decoder(_PageHeader)


def page_records(body: bytes, path: str = "the feed") -> list[dict[str, Any]]:
    """The records of a feed page's body, as `get_feed_page` returns them."""
    try:
        records = parse_json(body)["data"]
    except (KeyError, TypeError, ValueError) as exc:
        raise PortalError(f"portal {path} answered without a valid page ({exc!r}): is this a portal?") from exc
    if not isinstance(records, list):
        raise PortalError(f"portal {path} answered with `data` that is not a list: is this a portal?")
    return records


@dataclass
class PortalClient:
    """A session with one portal. Use as a context manager or call `close()`."""

    base_url: str
    token: str | None = None
    timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    retry_events: list[RetryEvent] = field(default_factory=list)
    max_body_bytes: int = field(default_factory=max_page_bytes)

    def __post_init__(self) -> None:
        headers = {"Accept": "application/json", "User-Agent": f"dvc-index/{__version__}"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self._http = httpx.Client(base_url=self.base_url.rstrip("/"), headers=headers, timeout=self.timeout)

    def __repr__(self) -> str:  # never show the token
        return f"PortalClient(base_url={self.base_url!r}, token={'***' if self.token else None})"

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- record feeds -------------------------------------------------------------------------------------------

    def feed_url(self, dataset: str) -> str:
        return f"{self.base_url.rstrip('/')}{FEED_PATH.format(dataset=dataset)}"

    def get_feed_page(self, dataset: str, period: str, cursor: str | None = None, limit: int = 1000) -> FeedPage:
        """One page of a record feed."""
        path, params = _feed_request(dataset, period, cursor, limit)
        body = self._request("GET", path, params=params)
        try:
            return FeedPage(
                dataset=body.get("dataset", dataset),
                period=body.get("period", period),
                total=int(body["total"]),
                next_cursor=body.get("next_cursor"),
                generated_at=body.get("generated_at"),
                records=list(body["data"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PortalError(f"portal {path} answered without a valid page ({exc!r}): is this a portal?") from exc

    def get_feed_page_body(
        self, dataset: str, period: str, cursor: str | None = None, limit: int = 1000
    ) -> FeedPageBody:
        """One page of a record feed, its records not decoded: the paging fields are read from the body in one
        pass that builds no record (a fraction of decoding it), so landing workers can decode pages elsewhere."""
        path, params = _feed_request(dataset, period, cursor, limit)
        header, body = self._request("GET", path, params=params, parse=_page_header)
        try:
            if not header["has_data"]:
                raise KeyError("data")
            return FeedPageBody(
                dataset=header.get("dataset") or dataset,
                period=header.get("period") or period,
                total=int(header["total"]),
                next_cursor=header.get("next_cursor"),
                generated_at=header.get("generated_at"),
                body=body,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PortalError(f"portal {path} answered without a valid page ({exc!r}): is this a portal?") from exc

    # -- published evaluation -----------------------------------------------------------------------------------

    def post_evaluation(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        """One call of the published evaluation API; returns the whole JSON response."""
        return self._request("POST", EVALUATION_PATH.format(endpoint=endpoint), json=body)

    # -- transport ----------------------------------------------------------------------------------------------

    def _request(self, method: str, path: str, parse: Callable[[bytes], Any] | None = None, **kwargs: Any) -> Any:
        endpoint = f"{method} {path}"
        attempts = 0

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            delay = self.retry.backoff(state.attempt_number)
            if isinstance(exc, _TransientError) and exc.retry_after is not None:
                delay = min(self.retry.max_retry_after, max(0.0, exc.retry_after))
            return delay

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            reason = exc.reason if isinstance(exc, _TransientError) else repr(exc)
            wait_s = state.upcoming_sleep
            self.retry_events.append(RetryEvent(endpoint, state.attempt_number, reason, wait_s))
            log.warning("%s failed (%s); retry %d in %.1fs", endpoint, reason, state.attempt_number, wait_s)

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_TransientError),
            stop=tenacity.stop_after_attempt(self.retry.max_attempts),
            wait=wait,
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    return self._once(method, path, endpoint, parse or parse_json, **kwargs)
        except _TransientError as exc:
            raise PortalUnavailableError(endpoint, attempts, exc.reason) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, method: str, path: str, endpoint: str, parse: Callable[[bytes], Any], **kwargs: Any) -> Any:
        # The body is read from the stream rather than through `response.content`, so it is not kept on the
        # response: httpx's response sits in a reference cycle, and while extraction pauses the cyclic collector
        # (gc_pause.py) every page's body would otherwise stay in memory until the extraction ends.
        try:
            with self._http.stream(method, path, **kwargs) as response:
                status = response.status_code
                if status in RETRYABLE_STATUSES:
                    raise _TransientError(f"HTTP {status}", _retry_after(response))
                content_type = response.headers.get("Content-Type", "no Content-Type")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > self.max_body_bytes:
                    raise PortalPageTooLargeError(endpoint, int(declared), self.max_body_bytes)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_body_bytes:  # a server that sends more than it declared, or no length
                        raise PortalPageTooLargeError(endpoint, size, self.max_body_bytes)
                    chunks.append(chunk)
                body = b"".join(chunks)
                del chunks
        except httpx.TimeoutException as exc:
            raise _TransientError(f"timeout after {self.timeout:g}s ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _TransientError(f"connection failed ({type(exc).__name__})") from None
        if status >= 400:
            raise PortalRequestError(endpoint, status, _error_detail(body))
        try:
            return parse(body)
        except ValueError:
            # an HTML error page, a body cut short: retried, as a proxy's or a restart's would pass
            raise _TransientError(
                f"HTTP {status} with a body that is not JSON ({content_type}, {len(body):,} bytes: {_opening(body)})"
            ) from None


def parse_json(body: bytes) -> Any:
    """A response body as Python values: orjson (several times faster on a 5,000-record page), else `json`.

    orjson refuses what `json` accepts beyond strict JSON (NaN, integers over 64 bits, lone surrogates): such a
    body is still read, as before, by `json`.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _feed_request(dataset: str, period: str, cursor: str | None, limit: int) -> tuple[str, dict[str, Any]]:
    """The path and query parameters of one feed page (PORTAL_API.md); a limit beyond the portal's is refused."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be within 1..{MAX_PAGE_SIZE}, got {limit}")
    params: dict[str, Any] = {"period": period, "limit": limit}
    if cursor:
        params["cursor"] = cursor
    return FEED_PATH.format(dataset=dataset), params


def _page_header(body: bytes) -> tuple[dict[str, Any], bytes]:
    """A feed page's paging fields (and whether it has `data`) with its body. What the one-pass reader refuses (a
    `total` sent as a string, NaN, integers beyond 64 bits, a missing field) is read whole, as `get_feed_page`
    reads it; a body that is not JSON raises ValueError."""
    try:
        header = _PAGE_HEADER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        page = parse_json(body)
        page = page if isinstance(page, dict) else {}
        return {**{k: v for k, v in page.items() if k != "data"}, "has_data": "data" in page}, body
    body.decode("utf-8")  # the one-pass reader skips over `data` without checking its text: a UnicodeDecodeError
    # (a ValueError) makes a garbled body transient, as the full decode does
    return {"total": header.total, "next_cursor": header.next_cursor, "generated_at": header.generated_at,
            "dataset": header.dataset, "period": header.period, "has_data": True}, body


def _opening(body: bytes, length: int = 40) -> str:
    """The first characters of a body, printable only, for an error message."""
    text = body[: length * 4].decode("utf-8", "replace")
    text = "".join(c if c.isprintable() else " " for c in text)[:length]
    return repr(text) + ("..." if len(body) > length else "")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP date: fall back to the backoff


def _error_detail(body: bytes) -> str:
    try:
        body = json.loads(body)
    except ValueError:
        return ""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("code") or "")[:200]
    return ""
