"""Engine worker processes for chaos tests: start, pause, resume and kill them, and wait.

Each worker runs ``flowwright serve --role worker`` against the test's database, writing its logs
(JSON lines, INFO) to a file of its own. ``Workers`` starts them either as plain subprocesses
(``python -m flowwright serve --role worker``) or, when ``forked`` is set, as children of
forkserver.py, which runs the same command in a pre-imported interpreter so that a replacement
is up in a fraction of a second. ``close()`` kills whatever is left; fixtures call it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

from testkit import TEST_JWT_SECRET

T = TypeVar("T")

READY_LINE = "engine worker started"
UNHANDLED = (
    "Task exception was never retrieved",
    "Future exception was never retrieved",
    "Exception in callback",
)
FORKSERVER = Path(__file__).with_name("forkserver.py")


def worker_environment(
    *,
    database_url: str,
    data_dir: Path,
    allowed_hosts: list[str],
    lease_seconds: float = 1.0,
    concurrency: int = 4,
) -> dict[str, str]:
    """The environment of a worker: this one without FLOWWRIGHT_*, plus the test's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWWRIGHT_")}
    env.update(
        FLOWWRIGHT_DATABASE_URL=database_url,
        FLOWWRIGHT_DATA_DIR=str(data_dir),
        FLOWWRIGHT_JWT_SECRET=TEST_JWT_SECRET,
        FLOWWRIGHT_HTTP_ALLOWED_HOSTS=json.dumps(allowed_hosts),
        FLOWWRIGHT_LEASE_SECONDS=str(lease_seconds),
        FLOWWRIGHT_WORKER_CONCURRENCY=str(concurrency),
        FLOWWRIGHT_LOG_FORMAT="json",
        FLOWWRIGHT_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class WorkerProcess:
    number: int
    pid: int
    log_path: Path
    started_at: float
    popen: subprocess.Popen[bytes] | None = None
    ready_at: float | None = None
    killed: bool = False

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def is_ready(self) -> bool:
        """The worker loop has started (it leases and sweeps from now on)."""
        if self.ready_at is None and READY_LINE in self.log_text():
            self.ready_at = time.monotonic()
        return self.ready_at is not None

    def is_alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def owns(self, lease_owner: str | None) -> bool:
        """Whether a lease owner (``host:pid:suffix``) names this process."""
        return lease_owner is not None and lease_owner.split(":")[1:2] == [str(self.pid)]


@dataclass
class Workers:
    """The worker processes of one test."""

    env: dict[str, str]
    log_dir: Path
    forked: bool = False
    started: list[WorkerProcess] = field(default_factory=list)
    _server: subprocess.Popen[str] | None = None

    def start(self) -> WorkerProcess:
        number = len(self.started) + 1
        log_path = self.log_dir / f"worker-{number:04d}.log"
        if self.forked:
            pid, popen = self._fork(log_path), None
        else:
            with log_path.open("ab") as log:
                popen = subprocess.Popen(
                    [sys.executable, "-m", "flowwright", "serve", "--role", "worker"],
                    env=self.env,
                    cwd=self.log_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            pid = popen.pid
        worker = WorkerProcess(number, pid, log_path, time.monotonic(), popen)
        self.started.append(worker)
        return worker

    def _fork(self, log_path: Path) -> int:
        server = self._forkserver()
        stdin, stdout = _pipes(server)
        stdin.write(json.dumps({"env": self.env, "log": str(log_path), "cwd": str(self.log_dir)}))
        stdin.write("\n")
        stdin.flush()
        return int(stdout.readline())

    def _forkserver(self) -> subprocess.Popen[str]:
        if self._server is None or self._server.poll() is not None:
            with (self.log_dir / "forkserver.log").open("ab") as log:
                self._server = subprocess.Popen(
                    [sys.executable, str(FORKSERVER)],
                    env=self.env,
                    cwd=self.log_dir,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    text=True,
                )
            line = _pipes(self._server)[1].readline().strip()
            if line != "ready":
                raise RuntimeError(f"the fork server did not start: {line!r}")
        return self._server

    def live(self) -> list[WorkerProcess]:
        return [w for w in self.started if not w.killed and w.is_alive()]

    def ready(self) -> list[WorkerProcess]:
        return [w for w in self.live() if w.is_ready()]

    def kill(self, worker: WorkerProcess) -> None:
        """SIGKILL, and wait until the process is gone."""
        worker.killed = True
        self._signal(worker, signal.SIGKILL)
        if worker.popen is not None:
            worker.popen.wait(10)
            return
        wait_until(lambda: not worker.is_alive(), 10, f"worker {worker.pid} to vanish")

    def kill_all(self) -> None:
        for worker in self.live():
            self.kill(worker)

    def pause(self, worker: WorkerProcess) -> None:
        self._signal(worker, signal.SIGSTOP)

    def resume(self, worker: WorkerProcess) -> None:
        self._signal(worker, signal.SIGCONT)

    def close(self) -> None:
        for worker in self.started:
            with contextlib.suppress(Exception):
                self._signal(worker, signal.SIGCONT)
                self._signal(worker, signal.SIGKILL)
            if worker.popen is not None:
                with contextlib.suppress(Exception):
                    worker.popen.wait(10)
        if self._server is not None:
            stdin, stdout = _pipes(self._server)
            with contextlib.suppress(Exception):
                stdin.close()  # the server kills its children and leaves
            with contextlib.suppress(Exception):
                self._server.wait(5)
            if self._server.poll() is None:
                self._server.kill()
                self._server.wait(5)
            stdout.close()

    @staticmethod
    def _signal(worker: WorkerProcess, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, sig)

    def crashed(self) -> list[WorkerProcess]:
        """Workers that exited although nobody killed them."""
        return [w for w in self.started if not w.killed and not w.is_alive()]

    def warnings(self) -> Counter[str]:
        """Warnings and errors the workers logged, by event."""
        seen: Counter[str] = Counter()
        for worker in self.started:
            for line in worker.log_text().splitlines():
                if "Traceback" in line:
                    seen["Traceback"] += 1
                if not line.startswith("{"):
                    continue
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if entry.get("level") in ("warning", "error", "critical"):
                        seen[str(entry.get("event"))] += 1
        return seen

    def unhandled(self) -> list[str]:
        """Errors nothing handled: asyncio's reports of exceptions that ended a task or a
        callback unobserved, one line each (with the worker's number)."""
        return [
            f"worker {w.number}: {line}"
            for w in self.started
            for line in w.log_text().splitlines()
            if line.startswith(UNHANDLED)
        ]

    def logs(self) -> str:
        """Every worker's log, for failure messages."""
        return "\n".join(
            f"--- worker {w.number} (pid {w.pid})\n{w.log_text()}" for w in self.started
        )


def _pipes(server: subprocess.Popen[str]) -> tuple[IO[str], IO[str]]:
    assert server.stdin is not None and server.stdout is not None
    return server.stdin, server.stdout


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


async def eventually(
    probe: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool],
    *,
    within: float,
    what: str,
    interval: float = 0.1,
) -> T:
    """Poll ``probe`` until ``accept`` holds for its value; the last value is in the error."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}; last: {value!r}")
        await asyncio.sleep(interval)
