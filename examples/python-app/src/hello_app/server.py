"""`hello-app`: serves HTTP on 127.0.0.1:$PORT (default 8000).

GET /         -> "hello-app <version>"
GET /healthz  -> 200 "ok" (503 "warming up" for the first $HELLO_WARMUP_SECONDS seconds, default 0)
Under systemd socket activation (LISTEN_FDS=1) it serves the passed socket.
"""
import os
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import NAME, app_version

STARTED = time.monotonic()
WARMUP_SECONDS = float(os.environ.get("HELLO_WARMUP_SECONDS") or "0")


class Handler(BaseHTTPRequestHandler):
    server_version = NAME

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/":
            self.reply(200, f"{NAME} {app_version()}\n")
        elif path == "/healthz":
            if time.monotonic() - STARTED < WARMUP_SECONDS:
                self.reply(503, "warming up\n")
            else:
                self.reply(200, "ok\n")
        else:
            self.reply(404, "not found\n")

    def do_HEAD(self) -> None:
        self.do_GET()

    def reply(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def make_server() -> ThreadingHTTPServer:
    if os.environ.get("LISTEN_FDS") == "1" and os.environ.get("LISTEN_PID") == str(os.getpid()):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        server.socket.close()
        server.socket = socket.socket(fileno=3)
        return server
    port = int(os.environ.get("PORT") or "8000")
    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main() -> None:
    server = make_server()
    # systemd stops services with SIGTERM: exit 0 so a stop is not logged as a failure.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    host, port = server.socket.getsockname()[:2]
    print(f"{NAME} {app_version()} listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
