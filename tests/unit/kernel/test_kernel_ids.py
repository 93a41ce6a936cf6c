from __future__ import annotations

import itertools
import time
import uuid

from flowwright.kernel.ids import id_timestamp_ms, new_id


def test_new_id_is_a_canonical_rfc9562_version_7_uuid() -> None:
    value = new_id()

    parsed = uuid.UUID(value)
    assert str(parsed) == value
    assert len(value) == 36
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_ten_thousand_ids_are_unique_and_strictly_increasing() -> None:
    ids = [new_id() for _ in range(10_000)]

    assert len(set(ids)) == len(ids)
    assert all(earlier < later for earlier, later in itertools.pairwise(ids))
    # The string order is the numeric order, so databases sort them the same way.
    assert [uuid.UUID(v).int for v in ids] == sorted(uuid.UUID(v).int for v in ids)


def test_id_timestamp_is_the_creation_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    value = new_id()
    after = time.time_ns() // 1_000_000

    # The counter may borrow a few milliseconds ahead when ids are made very fast.
    assert before <= id_timestamp_ms(value) <= after + 5


def test_id_timestamp_reads_the_top_48_bits() -> None:
    value = str(uuid.UUID(int=(1_700_000_000_123 << 80) | (0x7 << 76) | (0b10 << 62)))

    assert id_timestamp_ms(value) == 1_700_000_000_123


def test_ids_made_later_have_later_timestamps() -> None:
    first = new_id()
    time.sleep(0.003)
    second = new_id()

    assert id_timestamp_ms(second) > id_timestamp_ms(first)
