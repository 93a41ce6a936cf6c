"""A local HTTP sink that http steps call in tests.

It records every request, applies each ``Idempotency-Key`` once (a set acts as the unique
constraint), and can be told to fail or stall for a path: ``/fail/<n>/<name>`` answers 500 to the
first n requests of that name, ``/slow/<ms>/<name>`` sleeps before answering, ``/late/<ms>/<name>``
applies the effect and then sleeps before answering (a caller that dies meanwhile has had its
effect without learning it), and ``/hold/<name>`` keeps the n-th request of that name waiting
until ``release(name, n)``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOLD_LIMIT_SECONDS = 120.0


class Sink:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.applied: dict[str, dict[str, Any]] = {}  # idempotency key -> first body
        self.duplicates = 0
        self.deliveries: Counter[str] = Counter()  # idempotency key -> requests that reached it
        self.conflicts: list[tuple[str, dict[str, Any]]] = []  # repeats that differ from the first
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._gates: dict[str, threading.Event] = {}
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                if len(raw) < length:
                    self.close_connection = True
                    return  # the client died mid-request: like any server, drop the fragment
                body = json.loads(raw) if raw else None
                key = self.headers.get("idempotency-key")
                parts = self.path.strip("/").split("/")
                with sink._lock:
                    sink.requests.append(
                        {"method": self.command, "path": self.path, "body": body, "key": key}
                    )
                    name = parts[-1]
                    sink.calls[name] += 1
                    count = sink.calls[name]
                if parts[0] == "fail" and count <= int(parts[1]):
                    self._reply(500, {"error": "injected"})
                    return
                if parts[0] == "slow":
                    time.sleep(int(parts[1]) / 1000)
                if parts[0] == "hold":
                    sink.gate(name, count).wait(HOLD_LIMIT_SECONDS)
                sink._apply(key, {"path": self.path, "body": body})
                if parts[0] == "late":
                    time.sleep(int(parts[1]) / 1000)
                if parts[0] == "status":
                    self._reply(int(parts[1]), {"status": int(parts[1])})
                    return
                self._reply(200, {"echo": body, "path": self.path, "count": count})

            def _reply(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _apply(self, key: str | None, effect: dict[str, Any]) -> None:
        if key is None:
            return
        with self._lock:
            # The effect is applied once per key: a unique constraint, in memory.
            self.deliveries[key] += 1
            first = self.applied.get(key)
            if first is None:
                self.applied[key] = effect
                return
            self.duplicates += 1
            if first != effect:
                self.conflicts.append((key, effect))

    def gate(self, name: str, call: int) -> threading.Event:
        with self._lock:
            return self._gates.setdefault(f"{name}#{call}", threading.Event())

    def release(self, name: str, call: int) -> None:
        """Let the ``call``-th request of ``name`` to a hold path go on."""
        self.gate(name, call).set()

    def start(self) -> Sink:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            gates = list(self._gates.values())
        for gate in gates:
            gate.set()
        self.server.shutdown()
        self.server.server_close()

    def keys_for(self, prefix: str | tuple[str, ...]) -> list[str]:
        with self._lock:
            return [k for k in self.applied if k.startswith(prefix)]
