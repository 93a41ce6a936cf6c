"""Starts engine workers by forking an interpreter that has already imported Flowwright.

A worker started with ``python -m flowwright serve --role worker`` spends seconds importing and
building its container; killing one every 150 ms and starting a replacement would then leave no
worker alive long enough to lease anything. This server imports everything once, and each child
forked from it runs the very same command (``flowwright serve --role worker``) in a fresh process
with its own environment, log file and database connections, ready in a fraction of a second.

Protocol, one JSON line per worker on stdin: ``{"env": {...}, "log": path, "cwd": path}``; the
server answers each with the child's pid on a line of stdout. When stdin closes, the server kills
its children and exits; a child also dies with the server (PR_SET_PDEATHSIG on Linux).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1
PRELOADED = (
    "asyncpg",
    "flowwright.agents.adapters.sdk_clients",
    "flowwright.bootstrap",
    "flowwright.entrypoints.roles",
)


def main() -> None:
    from flowwright.entrypoints.cli.main import main as cli

    _preload()
    # Children are reaped by the kernel: the test kills them by pid and watches them vanish.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    print("ready", flush=True)
    children: list[int] = []
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request, cli)
        children.append(pid)
        print(pid, flush=True)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _preload() -> None:
    """Import what building a container imports lazily (the model SDKs, the database drivers)."""
    for module in PRELOADED:
        importlib.import_module(module)


def _child(request: dict[str, Any], cli: Callable[[], None]) -> None:
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _die_with_parent()
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.argv = ["flowwright", "serve", "--role", "worker"]
        cli()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


if __name__ == "__main__":
    main()
