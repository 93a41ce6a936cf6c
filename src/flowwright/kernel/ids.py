"""Time-sortable identifiers (UUID version 7, RFC 9562).

Ids sort by creation time, so primary-key indexes stay append-mostly and lists ordered by id are
ordered by age, on SQLite and PostgreSQL alike. They are not secrets: authorization never relies on
an id being hard to guess.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_id() -> str:
    """Return a new UUIDv7 as its canonical 36-character string."""
    global _last_ms, _counter
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_ms:
            # Same millisecond (or the clock stepped back): keep ids monotonic with a counter.
            _counter += 1
            if _counter >= 1 << 12:
                _last_ms += 1
                _counter = 0
            now_ms = _last_ms
        else:
            _last_ms = now_ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (now_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand
    # The canonical form, written directly: a uuid.UUID made only to print it costs twice as much.
    digits = f"{value:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def id_timestamp_ms(value: str) -> int:
    """Milliseconds since the epoch at which a UUIDv7 was made."""
    return uuid.UUID(value).int >> 80
