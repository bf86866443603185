"""A tiny HTTP server that stands for SmartQueue's callback endpoint in the adapters'
tests: it records every request the simulator sends it (raw body and headers, exactly
as received, since signatures are checked on the raw bytes) and answers 200."""

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class ReceivedCallback:
    method: str
    path: str  # with its query string
    headers: dict[str, str]
    body: bytes


class CallbackRecorder:
    """`with CallbackRecorder() as recorder:` gives `recorder.url` to the simulator as the
    callback/webhook URL, then `recorder.wait_for(1)` returns what arrived."""

    def __init__(self, path: str = "/callback"):
        self.received: list[ReceivedCallback] = []
        self._arrived = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def _handler_class(self):
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                callback = ReceivedCallback(
                    method=self.command,
                    path=self.path,
                    headers=dict(self.headers.items()),
                    body=body,
                )
                with recorder._arrived:
                    recorder.received.append(callback)
                    recorder._arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET = do_PUT = _record

            def log_message(self, *args):  # keep the test output quiet
                pass

        return Handler

    def wait_for(self, count: int = 1, timeout: float = 10) -> list[ReceivedCallback]:
        """The first `count` callbacks, waiting up to `timeout` seconds for them to come
        (the simulator sends them from a thread of its own, after answering the payer)."""
        with self._arrived:
            arrived = self._arrived.wait_for(
                lambda: len(self.received) >= count, timeout
            )
            if not arrived:
                raise AssertionError(
                    f"expected {count} callback(s), got {len(self.received)}"
                )
            return list(self.received[:count])

    def wait_until(self, matches, timeout: float = 10) -> ReceivedCallback:
        """The first callback for which `matches(callback)` is true (several tests may
        share one recorder: pick yours, e.g. by the payment's id in the body)."""
        with self._arrived:
            found = self._arrived.wait_for(
                lambda: next((c for c in self.received if matches(c)), None), timeout
            )
            if found is None:
                raise AssertionError("no matching callback arrived")
            return found

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
