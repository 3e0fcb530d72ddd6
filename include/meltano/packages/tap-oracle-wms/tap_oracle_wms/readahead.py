"""Read the next pages while the current one is being written.

Without it the tap waits for each page, then spends its CPU on the page's records while the server
sits idle: the two costs add up. A producer thread runs the SDK's request loop (requests, retries,
paging) and hands records over in chunks through a short queue, so the wait for the next page
overlaps the work on this one. Errors reach the consumer unchanged, in order, after the records
read before them; a consumer that stops early stops the producer.
"""

from __future__ import annotations

import queue
import threading
import typing as t
from collections.abc import Iterable, Iterator

_T = t.TypeVar("_T")
_DONE = object()
_PUT_POLL_SECONDS = 0.5


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(
    items: Iterable[_T], *, chunk_size: int, depth: int = 2, name: str = "read-ahead"
) -> Iterator[_T]:
    """Yield `items` in order, produced in a background thread at most `depth` chunks ahead."""
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def put(entry: object) -> bool:
        while not stopped.is_set():
            try:
                handoff.put(entry, timeout=_PUT_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        chunk: list[_T] = []
        try:
            for item in items:
                chunk.append(item)
                if len(chunk) >= chunk_size:
                    if not put(chunk):
                        return
                    chunk = []
            if chunk and not put(chunk):
                return
            put(_DONE)
        except BaseException as error:  # handed to the consumer, raised there
            if not chunk or put(chunk):
                put(_Failure(error))

    producer = threading.Thread(target=produce, name=name, daemon=True)
    producer.start()
    try:
        while True:
            entry = handoff.get()
            if entry is _DONE:
                break
            if isinstance(entry, _Failure):
                raise entry.error
            yield from t.cast("list[_T]", entry)
    finally:
        stopped.set()
        # A producer inside a request finishes it, sees `stopped` and ends; it never holds up exit.
        producer.join(timeout=_PUT_POLL_SECONDS * 2)
