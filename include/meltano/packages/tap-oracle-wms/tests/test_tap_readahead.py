"""Pages are read ahead in a thread: records keep their order, errors keep their place."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tap_oracle_wms.readahead import read_ahead


def test_every_item_arrives_once_in_order_whatever_the_chunk_size() -> None:
    for chunk_size in (1, 7, 250, 10_000):
        assert list(read_ahead(iter(range(1_000)), chunk_size=chunk_size)) == list(range(1_000))


def test_the_producer_runs_ahead_of_the_consumer_but_at_most_depth_chunks() -> None:
    produced: list[int] = []

    def items() -> Iterator[int]:
        for number in range(100):
            produced.append(number)
            yield number

    reader = read_ahead(items(), chunk_size=10, depth=2)
    assert next(reader) == 0
    deadline = time.monotonic() + 5
    while len(produced) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    # One chunk taken, two waiting in the queue, one being built and blocked on the full queue.
    assert len(produced) == 40
    assert list(reader) == list(range(1, 100))


def test_an_error_reaches_the_consumer_after_the_items_read_before_it() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise RuntimeError("page 2 failed after 6 attempts")

    reader = read_ahead(items(), chunk_size=2)
    received = [next(reader) for _ in range(5)]
    with pytest.raises(RuntimeError, match="page 2 failed"):
        next(reader)
    assert received == [0, 1, 2, 3, 4]


def test_a_consumer_that_stops_early_stops_the_producer() -> None:
    def endless() -> Iterator[int]:
        number = 0
        while True:
            yield number
            number += 1

    reader = read_ahead(endless(), chunk_size=10, name="endless-pages")
    assert [next(reader) for _ in range(3)] == [0, 1, 2]
    reader.close()  # what the SDK's loop does when the stream ends early

    deadline = time.monotonic() + 5
    while (
        any(thread.name == "endless-pages" for thread in threading.enumerate())
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    assert not any(thread.name == "endless-pages" for thread in threading.enumerate())
