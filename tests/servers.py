"""Local HTTP servers on loopback, started and stopped by the tests that need them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def serve(handle: Handler) -> Iterator[str]:
    """Serve GET requests with `handle` on 127.0.0.1; yields the base URL."""

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            handle(self)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def files(mapping: dict[str, bytes], *, delay: float = 0.0, truncate: int | None = None) -> Handler:
    """A handler serving `mapping` by file name (404 otherwise), optionally cut or slowed."""

    def handle(request: BaseHTTPRequestHandler) -> None:
        name = request.path.rsplit("/", 1)[-1]
        if name not in mapping:
            request.send_error(404)
            return
        body = mapping[name]
        request.send_response(200)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        time.sleep(delay)
        try:
            request.wfile.write(body if truncate is None else body[:truncate])
        except (BrokenPipeError, ConnectionResetError):
            pass

    return handle


def html(request: BaseHTTPRequestHandler) -> None:
    body = b"<html><body>Moved. Please log in.</body></html>"
    request.send_response(200)
    request.send_header("Content-Type", "text/html")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


def redirect_loop(request: BaseHTTPRequestHandler) -> None:
    request.send_response(302)
    request.send_header("Location", request.path)
    request.send_header("Content-Length", "0")
    request.end_headers()
