"""A local HTTP/1.1 server on 127.0.0.1 that misbehaves on cue, for the fault matrix.

The server is written on raw sockets so every byte (and every abrupt close) is under the test's
control. It serves ``GET /api/v1/dags?limit=&offset=`` from ``ITEMS`` and is scripted per test:
a fault for a given request number, a queue of faults for a given ``offset``, or one fault for
every request. Every request is recorded (method, path, query) for assertions.
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import socket
import struct
import sys
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import pytest

N_ITEMS = 50
ITEMS: list[dict[str, object]] = [
    {"dag_id": f"dag_{i:03d}", "is_paused": False, "is_active": True, "fileloc": f"/dags/dag_{i:03d}.py"}
    for i in range(N_ITEMS)
]
DAG_IDS = [str(item["dag_id"]) for item in ITEMS]
LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign In - Airflow</title></head><body>"
    b'<form method="post" action="/login/"><input type="text" name="username">'
    b'<input type="password" name="password"><input type="submit" value="Sign In"></form>'
    b"</body></html>"
)
SOCKET_TIMEOUT = 10.0  # no server-side read or write ever blocks longer than this
JOIN_TIMEOUT = 3.0
TEST_DEADLINE = 30.0  # a hung test dumps every thread's stack and ends the run


@dataclass(frozen=True, slots=True)
class Fault:
    """What the server does with one request (build them with the functions below)."""

    kind: str
    status: int = 200
    retry_after: str | None = None
    message: str = ""
    delay: float = 0.0
    when: str = "before"


def ok() -> Fault:
    return Fault("ok")


def reset(when: str = "before") -> Fault:
    """Close with an RST (SO_LINGER 0): ``before`` any byte, or ``mid_body`` after half the body."""
    assert when in ("before", "mid_body")
    return Fault("reset", when=when)


def status(code: int, *, retry_after: str | int | None = None, message: str = "") -> Fault:
    """An error status with Airflow's Problem JSON body, and ``Retry-After`` if given."""
    text = None if retry_after is None else str(retry_after)
    return Fault("status", status=code, retry_after=text, message=message or f"scripted {code}")


def html_login() -> Fault:
    """200 text/html: the webserver's login page where JSON was expected."""
    return Fault("html_login")


def truncated_json() -> Fault:
    """A Content-Length larger than the bytes sent, then a (graceful) close."""
    return Fault("truncated_json")


def half_json() -> Fault:
    """A complete response (matching Content-Length) whose JSON document is cut in half."""
    return Fault("half_json")


def bad_gzip() -> Fault:
    """200 application/json announced as ``Content-Encoding: gzip`` whose bytes are not gzip."""
    return Fault("bad_gzip")


def slow(delay: float = 1.0) -> Fault:
    """Answer normally, but only after ``delay`` seconds."""
    return Fault("slow", delay=delay)


@dataclass(frozen=True, slots=True)
class Request:
    number: int
    method: str
    path: str
    query: dict[str, str]
    connection: int

    @property
    def offset(self) -> int:
        return int(self.query.get("offset", "0"))


def page_body(query: dict[str, str]) -> bytes:
    limit = int(query.get("limit", "100"))
    offset = int(query.get("offset", "0"))
    return json.dumps({"dags": ITEMS[offset : offset + limit], "total_entries": N_ITEMS}).encode()


def _head(code: int, reason: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {code} {reason}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _response(
    code: int, reason: str, body: bytes, content_type: str, extra: dict[str, str] | None = None
) -> bytes:
    headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **(extra or {})}
    return _head(code, reason, headers) + body


REASONS = {200: "OK", 404: "NOT FOUND", 500: "INTERNAL SERVER ERROR", 503: "SERVICE UNAVAILABLE"}


@dataclass
class FaultServer:
    """The scripted server; ``start()`` binds an ephemeral port, ``stop()`` ends every thread."""

    requests: list[Request] = field(default_factory=list)
    by_number: dict[int, Fault] = field(default_factory=dict)
    by_offset: dict[int, deque[Fault]] = field(default_factory=dict)
    default: Fault = field(default_factory=ok)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._conns: dict[int, socket.socket] = {}
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, name="fault-server-accept", daemon=True)

    # -- scripting -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def on_request(self, number: int, fault: Fault) -> None:
        """``fault`` for the request with this 0-based number (all connections counted)."""
        self.by_number[number] = fault

    def on_offset(self, offset: int, *faults: Fault) -> None:
        """The next requests for ``offset`` get these faults, one each, then normal answers."""
        self.by_offset.setdefault(offset, deque()).extend(faults)

    def always(self, fault: Fault) -> None:
        self.default = fault

    def offsets(self) -> list[int]:
        with self._lock:
            return [r.offset for r in self.requests]

    def _fault_for(self, request: Request) -> Fault:
        with self._lock:
            if request.number in self.by_number:
                return self.by_number[request.number]
            queue = self.by_offset.get(request.offset)
            if queue:
                return queue.popleft()
            return self.default

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FaultServer:
        self._acceptor.start()
        return self

    def stop(self) -> list[threading.Thread]:
        """Stop accepting, cut every open connection, join every thread; the ones still alive."""
        self._stop.set()
        self._acceptor.join(JOIN_TIMEOUT)
        with self._lock:
            for conn in self._conns.values():
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(JOIN_TIMEOUT)
        self._listener.close()
        return [t for t in [self._acceptor, *self._threads] if t.is_alive()]

    def _accept_loop(self) -> None:
        number = 0
        while not self._stop.is_set():
            try:
                conn, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(SOCKET_TIMEOUT)
            with self._lock:
                self._conns[number] = conn
            thread = threading.Thread(
                target=self._serve, args=(conn, number), name=f"fault-server-conn-{number}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
            number += 1

    # -- one connection --------------------------------------------------------------------------

    def _serve(self, conn: socket.socket, conn_id: int) -> None:
        buffer = b""
        try:
            while not self._stop.is_set():
                head, buffer = self._read_request(conn, buffer)
                if head is None:
                    return
                request = self._record(head, conn_id)
                if not self._answer(conn, request, self._fault_for(request)):
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.pop(conn_id, None)
            conn.close()

    @staticmethod
    def _read_request(conn: socket.socket, buffer: bytes) -> tuple[bytes | None, bytes]:
        while b"\r\n\r\n" not in buffer:
            chunk = conn.recv(65536)
            if not chunk:
                return None, b""
            buffer += chunk
        head, _, rest = buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(rest) < length:  # a body is read and ignored (only GETs are expected)
            chunk = conn.recv(65536)
            if not chunk:
                return None, b""
            rest += chunk
        return head, rest[length:]

    def _record(self, head: bytes, conn_id: int) -> Request:
        method, target, _version = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        url = urlsplit(target)
        with self._lock:
            request = Request(len(self.requests), method, url.path, dict(parse_qsl(url.query)), conn_id)
            self.requests.append(request)
        return request

    def _answer(self, conn: socket.socket, request: Request, fault: Fault) -> bool:
        """Send ``fault``'s answer; whether the connection stays open for the next request."""
        if request.method != "GET" or request.path != "/api/v1/dags":
            problem = {"title": "Not Found", "status": 404, "detail": f"no route {request.path}"}
            conn.sendall(
                _response(404, "NOT FOUND", json.dumps(problem).encode(), "application/problem+json")
            )
            return True
        body = page_body(request.query)
        kind = fault.kind
        if kind == "slow":
            if self._stop.wait(fault.delay):
                return False
            kind = "ok"
        if kind == "ok":
            conn.sendall(_response(200, "OK", body, "application/json"))
            return True
        if kind == "status":
            problem = {
                "type": "https://airflow.apache.org/docs/apache-airflow/stable/stable-rest-api-ref.html",
                "title": REASONS.get(fault.status, "ERROR").title(),
                "status": fault.status,
                "detail": fault.message,
            }
            extra = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
            reason = REASONS.get(fault.status, "ERROR")
            data = json.dumps(problem).encode()
            conn.sendall(_response(fault.status, reason, data, "application/problem+json", extra))
            return True
        if kind == "html_login":
            conn.sendall(_response(200, "OK", LOGIN_PAGE, "text/html; charset=utf-8"))
            return True
        if kind == "half_json":
            conn.sendall(_response(200, "OK", body[: len(body) // 2], "application/json"))
            return True
        if kind == "bad_gzip":
            extra = {"Content-Encoding": "gzip"}
            conn.sendall(_response(200, "OK", b"this is not gzip data", "application/json", extra))
            return True
        if kind == "truncated_json":
            head = _head(
                200, "OK", {"Content-Type": "application/json", "Content-Length": str(len(body) + 64)}
            )
            conn.sendall(head + body)
            conn.shutdown(socket.SHUT_WR)  # a clean FIN, well before the announced length
            return False
        if kind == "reset":
            if fault.when == "mid_body":
                head = _head(
                    200, "OK", {"Content-Type": "application/json", "Content-Length": str(len(body))}
                )
                conn.sendall(head + body[: len(body) // 2])
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False  # closing now sends an RST
        raise AssertionError(f"unknown fault {fault!r}")


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A started ``FaultServer``; afterwards no thread of the test (server or client) is left."""
    before = set(threading.enumerate())
    faulthandler.dump_traceback_later(TEST_DEADLINE, exit=True, file=sys.stderr)
    srv = FaultServer().start()
    try:
        yield srv
    finally:
        alive = srv.stop()
        faulthandler.cancel_dump_traceback_later()
    assert not alive, f"server threads still alive: {alive}"
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leftover, f"threads left behind by the test: {leftover}"
