"""Batch writes run one at a time in the background; a failed write stops the run at the next wait."""

from __future__ import annotations

import threading
import time

import pytest

from target_warehouse.writer import BatchWriter


def test_jobs_run_one_after_another_off_the_calling_thread() -> None:
    writer = BatchWriter()
    events: list[tuple[str, int, str]] = []

    def job(number: int) -> None:
        events.append(("start", number, threading.current_thread().name))
        time.sleep(0.05)
        events.append(("end", number, threading.current_thread().name))

    for number in range(3):
        writer.submit(lambda number=number: job(number))  # type: ignore[misc]
    writer.wait()
    assert [(kind, number) for kind, number, _ in events] == [
        ("start", 0),
        ("end", 0),
        ("start", 1),
        ("end", 1),
        ("start", 2),
        ("end", 2),
    ]
    assert {thread for *_, thread in events} != {threading.current_thread().name}


def test_a_failed_job_raises_at_the_next_submit_and_the_next_job_does_not_run() -> None:
    writer = BatchWriter()
    ran: list[int] = []

    def broken() -> None:
        raise RuntimeError("database went away")

    writer.submit(broken)
    with pytest.raises(RuntimeError, match="went away"):
        writer.submit(lambda: ran.append(1))
    writer.wait()
    assert ran == []
