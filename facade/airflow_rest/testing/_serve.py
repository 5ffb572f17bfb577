"""The oracle as an HTTP server on 127.0.0.1, for test suites that are not written in Python.

    python -m airflow_rest.testing serve --port 28081

Besides the API under ``/api/v1``, ``GET /_oracle/violations`` lists what broke the spec so far
(JSON), ``POST /_oracle/violations/clear`` forgets them and ``POST /_oracle/reset`` starts again
from the default state.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ._oracle import Oracle

__all__ = ["OracleServer", "make_server", "serve", "serve_in_thread"]


def _violation_json(oracle: Oracle) -> bytes:
    items = [
        {
            "side": v.side,
            "operation": v.operation,
            "where": v.where,
            "location": v.location,
            "pointer": v.pointer,
            "message": v.message,
        }
        for v in oracle.violations
    ]
    return json.dumps({"violations": items, "total_entries": len(items)}).encode()


class OracleServer(ThreadingHTTPServer):
    """A threading HTTP server answered by ``oracle`` (replaced by ``POST /_oracle/reset``)."""

    daemon_threads = True
    oracle: Oracle
    auth: tuple[str, str] | None

    def fresh_oracle(self) -> Oracle:
        host, port = self.server_address[0], self.server_address[1]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return Oracle(f"http://{name}:{port}", auth=self.auth)


def make_server(
    host: str = "127.0.0.1", port: int = 0, *, auth: tuple[str, str] | None = None
) -> OracleServer:
    """A server (not yet serving) whose oracle is ``server.oracle``; port 0 picks a free port."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "airflow-rest-oracle"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server = self.server
            assert isinstance(server, OracleServer)
            oracle = server.oracle
            try:
                if self.path.startswith("/_oracle/"):
                    status, headers, content = self._control(server)
                else:
                    status, headers, content = oracle.handle_raw(
                        self.command, self.path, dict(self.headers), body
                    )
            except Exception as exc:  # an operation the fake does not implement: say so, keep serving
                status, headers = 500, {"Content-Type": "application/problem+json"}
                detail = f"{type(exc).__name__}: {exc}"
                content = json.dumps(oracle.spec.problem(500, "Internal Server Error", detail)).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        def _control(self, server: OracleServer) -> tuple[int, dict[str, str], bytes]:
            oracle = server.oracle
            kind = {"Content-Type": "application/json"}
            if self.command == "GET" and self.path == "/_oracle/violations":
                return 200, kind, _violation_json(oracle)
            if self.command == "POST" and self.path == "/_oracle/violations/clear":
                oracle.take_violations()
                return 204, {}, b""
            if self.command == "POST" and self.path == "/_oracle/reset":
                server.oracle = server.fresh_oracle()
                return 204, {}, b""
            return 404, kind, b'{"detail": "unknown control path"}'

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _answer

        def __getattr__(self, name: str) -> Any:
            # any other method (TRACE, QUERY...) reaches the oracle too, which answers 405 as the
            # server's router does, not the 501 page of http.server
            if name.startswith("do_"):
                return self._answer
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the exchanges are recorded
            return

    server = OracleServer((host, port), Handler)
    server.auth = auth
    server.oracle = server.fresh_oracle()
    return server


def serve(host: str, port: int, *, auth: tuple[str, str] | None = None) -> None:
    server = make_server(host, port, auth=auth)
    print(f"fake Airflow 2.11.2 REST API on {server.oracle.api_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def serve_in_thread(server: OracleServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m airflow_rest.testing")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="serve the fake Airflow REST API over HTTP")
    run.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=28081, help="port (0: any free one; default 28081)")
    run.add_argument("--auth", metavar="USER:PASSWORD", help="insist on HTTP Basic credentials")
    args = parser.parse_args(argv)
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user:
            parser.error("--auth must be USER:PASSWORD")
        auth = (user, password)
    serve(args.host, args.port, auth=auth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
