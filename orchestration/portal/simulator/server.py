"""The portal simulator's HTTP server: PORTAL_API.md over loopback, from the deterministic generator.

Admin endpoints, for tests and demonstrations (not part of the portal's contract):
- `GET /_sim/health`;
- `GET|POST|DELETE /_sim/faults`: read, add (a JSON rule or list of rules, see faults.FaultRule) or clear faults;
- `GET|POST /_sim/clock`: the portal's "now" (`{"as_of": "2025-09-01T00:00:00+07:00"}`): records synced after it
  are not served yet, so moving it forward restates a month;
- `GET /_sim/stats`: requests served per path.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import socket
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from orchestration.portal.simulator import evaluation
from orchestration.portal.simulator.faults import FaultPlan, FaultRule
from orchestration.portal.simulator.generator import DATASETS, PortalData, SimulatorConfig

log = logging.getLogger(__name__)

VN_TZ = timezone(timedelta(hours=7))
FEED_PREFIX = "/api/v1/sync/"
EVALUATION_PREFIX = "/api/v1/reporting/evaluation/"
DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000


def encode_cursor(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    padded = cursor + "=" * (-len(cursor) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()))


class _HttpError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class PortalSimulator:
    """A running simulator. `with PortalSimulator(...) as sim:` serves on `sim.url` until the block ends."""

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        *,
        token: str | None = None,
        faults: FaultPlan | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        as_of: datetime | None = None,
        data: PortalData | None = None,
        serve_feeds: bool = True,
    ) -> None:
        self.config = config or SimulatorConfig()
        # False: a public portal, which publishes the evaluation (§2) and answers 404 for every record feed (§1)
        self.serve_feeds = serve_feeds
        self.data = data or PortalData(self.config)
        self.token = token
        self.faults = faults or FaultPlan()
        self.as_of = (as_of or datetime.now(VN_TZ)).astimezone(VN_TZ).replace(microsecond=0)
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> PortalSimulator:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="portal-simulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> PortalSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_clock(self, as_of: datetime) -> None:
        with self._lock:
            self.as_of = as_of.astimezone(VN_TZ).replace(microsecond=0)

    # -- the feed endpoint --------------------------------------------------------------------------------------

    def feed_page(self, dataset: str, query: dict[str, str], fault: FaultRule | None) -> bytes:
        """The JSON body of one feed page. The records come pre-encoded from the feed (`Feed.rows_json`)."""
        if not self.serve_feeds:
            raise _HttpError(404, "NOT_FOUND", "this portal publishes no record feeds (only the evaluation)")
        if dataset not in DATASETS:
            raise _HttpError(404, "NOT_FOUND", f"unknown dataset {dataset!r}")
        try:
            limit = int(query.get("limit", DEFAULT_LIMIT))
        except ValueError:
            raise _HttpError(400, "BAD_REQUEST", "limit must be an integer") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise _HttpError(400, "BAD_REQUEST", f"limit must be within 1..{MAX_LIMIT}")
        cursor = query.get("cursor")
        if cursor:
            try:
                state = decode_cursor(cursor)
                offset, period, as_of = int(state["o"]), str(state["p"]), datetime.fromisoformat(state["a"])
            except (ValueError, KeyError, TypeError, binascii.Error):
                raise _HttpError(400, "BAD_CURSOR", "cursor is not one this server issued") from None
            if state.get("d") != dataset:
                raise _HttpError(400, "BAD_CURSOR", "cursor belongs to another dataset")
        else:
            period = query.get("period", "")
            offset = 0
            with self._lock:
                as_of = self.as_of
        if len(period) != 7 or period[4] != "-":
            raise _HttpError(400, "BAD_REQUEST", "period must be YYYY-MM")
        try:
            feed = self.data.feed(dataset, period, as_of)
        except ValueError as exc:
            raise _HttpError(400, "BAD_REQUEST", str(exc)) from None
        if fault is not None and fault.kind == "shift":
            offset += 1  # a record before the cursor vanished: every later record moved up one place
        stop = min(len(feed), offset + limit)
        rows = feed.rows_json_chunks(offset, stop) if offset < stop else [b"[]"]
        next_cursor = (
            encode_cursor({"o": stop, "p": period, "a": as_of.isoformat(), "d": dataset}) if stop < len(feed) else None
        )
        head = {
            "dataset": dataset,
            "period": period,
            "total": feed.total + (fault.size if fault is not None and fault.kind == "total" else 0),
            "next_cursor": next_cursor,
            "generated_at": feed.generated_at,
        }
        if fault is not None and fault.kind == "oversize":
            head["_padding"] = "x" * fault.size  # a field the contract does not name, as large as asked
        page = with_data(head, rows)
        if fault is not None and fault.kind == "truncate":
            return page[: len(page) // 2]
        return page


def _encode(payload: dict[str, Any]) -> bytes:
    # allow_nan=False: NaN is not JSON; a generator bug must fail loudly, not reach a client as NaN
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def with_data(head: dict[str, Any], data: list[bytes | memoryview]) -> bytes:
    """`head` as a JSON object with a last member `"data"` whose value is the already-encoded `data` (in chunks)."""
    return b"".join([_encode(head)[:-1], b',"data":', *data, b"}"])


def _make_handler(sim: PortalSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the client's
        # delayed ACK hold every response back by ~40 ms
        disable_nagle_algorithm = True
        server_version = "dvc-index-portal-simulator"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            log.debug("%s %s", self.address_string(), format % args)

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def _dispatch(self, method: str) -> None:
            url = urlsplit(self.path)
            path = url.path
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            body = self._read_body()
            with sim._lock:
                sim.stats[path] += 1
            try:
                if path.startswith("/_sim/"):
                    self._send(200, self._admin(method, path, body))
                    return
                if not self._authorised():
                    raise _HttpError(401, "UNAUTHORIZED", "missing or wrong bearer token")
                fault = sim.faults.pick(path)
                if fault is not None and self._inject(fault):
                    return
                if method == "GET" and path.startswith(FEED_PREFIX):
                    dataset = path[len(FEED_PREFIX) :].strip("/")
                    self._send(200, sim.feed_page(dataset, query, fault))
                    return
                if method == "POST" and path.startswith(EVALUATION_PREFIX):
                    endpoint = path[len(EVALUATION_PREFIX) :].strip("/")
                    try:
                        data = evaluation.respond(sim.data, endpoint, body, as_of=sim.as_of)
                    except ValueError as exc:
                        raise _HttpError(400, "BAD_REQUEST", str(exc)) from None
                    self._send(200, {"code": "OK", "data": data})
                    return
                raise _HttpError(404, "NOT_FOUND", f"no endpoint {method} {path}")
            except _HttpError as exc:
                self._send(exc.status, {"code": exc.code, "message": exc.message})
            except (BrokenPipeError, ConnectionResetError):
                pass
            except Exception as exc:  # a bug in the simulator: say so, as a portal would
                log.exception("simulator failed on %s", path)
                self._send(500, {"code": "INTERNAL", "message": type(exc).__name__})

        def _read_body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            if not length:
                return None
            raw = self.rfile.read(length)
            try:
                return json.loads(raw)
            except ValueError:
                return None

        def _authorised(self) -> bool:
            if sim.token is None:
                return True
            return self.headers.get("Authorization", "") == f"Bearer {sim.token}"

        def _inject(self, fault: FaultRule) -> bool:
            """Apply a fault; True when the request has been answered (or dropped) by it."""
            if fault.kind in {"429", "500", "502", "503", "504"}:
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.kind == "429" else {}
                self._send(int(fault.kind), {"code": "UNAVAILABLE", "message": "injected fault"}, headers)
                return True
            if fault.kind == "drop":
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return True
            if fault.kind == "html":
                page = b"<!DOCTYPE html><html><body><h1>He thong dang bao tri</h1></body></html>"
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return True
            if fault.kind == "slow":
                time.sleep(fault.delay)
            return False

        def _admin(self, method: str, path: str, body: Any) -> dict[str, Any]:
            if path == "/_sim/health":
                return {"status": "ok", "seed": sim.config.seed, "scale": sim.config.scale,
                        "serves_feeds": sim.serve_feeds}
            if path == "/_sim/faults":
                if method == "POST":
                    rules = body if isinstance(body, list) else [body]
                    try:
                        for rule in rules:
                            sim.faults.add(FaultRule.from_dict(rule))
                    except (TypeError, ValueError) as exc:
                        raise _HttpError(400, "BAD_REQUEST", str(exc)) from None
                elif method == "DELETE":
                    sim.faults.clear()
                return sim.faults.describe()
            if path == "/_sim/clock":
                if method == "POST":
                    try:
                        sim.set_clock(datetime.fromisoformat(body["as_of"]))
                    except (TypeError, KeyError, ValueError):
                        raise _HttpError(400, "BAD_REQUEST", 'body must be {"as_of": ISO-8601}') from None
                return {"as_of": sim.as_of.isoformat()}
            if path == "/_sim/stats":
                with sim._lock:
                    return {"requests": dict(sim.stats)}
            raise _HttpError(404, "NOT_FOUND", f"no admin endpoint {path}")

        def _send(self, status: int, payload: dict[str, Any] | bytes, headers: dict[str, str] | None = None) -> None:
            data = payload if isinstance(payload, bytes) else _encode(payload)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler
