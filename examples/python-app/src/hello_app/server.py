"""`hello-app`: serves HTTP on 127.0.0.1:$PORT (default 8000).

GET /         -> "hello-app <version>"
GET /healthz  -> 200 "ok" (503 "warming up" for the first $HELLO_WARMUP_SECONDS seconds, default 0)
GET /bound    -> the address it listens on, "127.0.0.1:8001"

`hello-app --bind HOST:PORT` listens there instead, as gunicorn's --bind does
(the tests write `--bind 127.0.0.1:$PORT`, `$PORT` inside a word).

The contract with deployer: listen on 127.0.0.1:$PORT (deployer assigns the
port; a gunicorn or uvicorn app says `--bind 127.0.0.1:$PORT`). Under systemd
socket activation (LISTEN_FDS=1) it serves the passed socket. SIGTERM stops
accepting, lets the requests in flight finish, then exits 0.

HELLO_SLOW=1 makes a slow app, for zero-downtime tests: it starts listening
only after 3 s, and one request to / in ten takes 1.5 s (and says so in
a header, X-Hello-Slow: 1).
"""
import itertools
import os
import sys
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import NAME, app_version

SLOW = os.environ.get("HELLO_SLOW") == "1"
_counter = itertools.count(1)
_counter_lock = threading.Lock()
STARTED = time.monotonic()
WARMUP_SECONDS = float(os.environ.get("HELLO_WARMUP_SECONDS") or "0")


class Handler(BaseHTTPRequestHandler):
    server_version = NAME

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/":
            slow = False
            if SLOW:
                with _counter_lock:
                    slow = next(_counter) % 10 == 0
                if slow:
                    time.sleep(1.5)
            # The slow ones say so, so a benchmark can tell them from stalls.
            self.reply(200, f"{NAME} {app_version()}\n", {"X-Hello-Slow": "1"} if slow else {})
        elif path == "/healthz":
            if time.monotonic() - STARTED < WARMUP_SECONDS:
                self.reply(503, "warming up\n")
            else:
                self.reply(200, "ok\n")
        elif path == "/bound":
            host, port = self.server.socket.getsockname()[:2]
            self.reply(200, f"{host}:{port}\n")
        else:
            self.reply(404, "not found\n")

    def do_HEAD(self) -> None:
        self.do_GET()

    def reply(self, status: int, body: str, headers: "dict[str, str] | None" = None) -> None:
        data = body.encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass  # one journal line per request would drown the useful ones under load


class Server(ThreadingHTTPServer):
    # Requests in flight finish on stop: server_close() joins their threads.
    daemon_threads = False
    block_on_close = True


def make_server() -> Server:
    if os.environ.get("LISTEN_FDS") == "1" and os.environ.get("LISTEN_PID") == str(os.getpid()):
        server = Server(("127.0.0.1", 0), Handler, bind_and_activate=False)
        server.socket.close()
        server.socket = socket.socket(fileno=3)
        return server
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--bind":
        host, _, port_text = args[1].rpartition(":")
        # As gunicorn says it, for a word systemd did not expand.
        if not port_text.isdigit():
            sys.exit(f"Error: {port_text!r} is not a valid port number.")
        return Server((host, int(port_text)), Handler)
    port = int(os.environ.get("PORT") or "8000")
    return Server(("127.0.0.1", port), Handler)


def main() -> None:
    if SLOW:
        time.sleep(3)
    server = make_server()
    # systemd stops services with SIGTERM: stop accepting (from another thread,
    # as shutdown() waits for serve_forever to return), then exit 0.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    host, port = server.socket.getsockname()[:2]
    print(f"{NAME} {app_version()} listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        print(f"{NAME} {app_version()} stopping", flush=True)
        server.server_close()


if __name__ == "__main__":
    main()
