"""Order lifecycle: a pure function of (seed, order id, create time) giving every status change and its time.

Both the initial data set and clock advances follow the same schedule, so the state of every order at any
simulated instant is reproducible, and advancing 2 hours once equals advancing 1 hour twice.
An event at time ``t`` has happened once the clock is past ``t`` (``t < now``).
"""

from __future__ import annotations

from .rand import unit

HOUR_US = 3_600_000_000
SECOND_US = 1_000_000

CREATED = 0
PARTLY_ALLOCATED = 10
ALLOCATED = 20
IN_PICKING = 25
PICKED = 27
IN_PACKING = 30
PACKED = 40
LOADED = 50
SHIPPED = 90
CANCELLED = 99
TERMINAL = frozenset({SHIPPED, CANCELLED})

ORDER_STATUSES = {
    0: "Created",
    10: "Partly Allocated",
    20: "Allocated",
    25: "In Picking",
    27: "Picked",
    30: "In Packing",
    40: "Packed",
    50: "Loaded",
    90: "Shipped",
    99: "Cancelled",
}
# Only 90 and 99 are real allocation codes (reference §15); 0, 10 and 30 and all labels are assumed.
ALLOC_CREATED = 0
ALLOC_RELEASED = 10
ALLOC_PICKED = 30
ALLOC_COMPLETED = 90
ALLOC_CANCELLED = 99
ALLOCATION_STATUSES = {0: "Created", 10: "Released", 30: "Picked", 90: "Completed", 99: "Cancelled"}

CANCEL_RATE = 0.04
PARTIAL_ALLOCATION_RATE = 0.15
# (status, min hours, max hours) after the previous stage
_FULFILMENT = (
    (25, 0.25, 3.0),
    (27, 0.25, 2.0),
    (30, 0.1, 1.0),
    (40, 0.1, 1.0),
    (50, 0.5, 4.0),
    (90, 1.0, 12.0),
)
_SALT = 1_000
MAX_LIFECYCLE_US = int(36 * HOUR_US)  # upper bound of the sum of all delays below


def _delay(seed: int, order_id: int, step: int, low_h: float, high_h: float) -> int:
    return int((low_h + (high_h - low_h) * unit(seed, _SALT + step, order_id)) * HOUR_US)


def schedule(seed: int, order_id: int, create_us: int) -> list[tuple[int, int]]:
    """Every (status, time) of the order in time order; the first is (CREATED, create time)."""
    stages = [(CREATED, create_us)]
    t = create_us
    fate = unit(seed, _SALT, order_id)
    cancels = fate < CANCEL_RATE
    cancels_before_allocation = fate < CANCEL_RATE / 2
    if cancels_before_allocation:
        stages.append((CANCELLED, t + _delay(seed, order_id, 1, 0.5, 8.0)))
        return stages
    if unit(seed, _SALT + 2, order_id) < PARTIAL_ALLOCATION_RATE:
        t += _delay(seed, order_id, 3, 0.25, 3.0)
        stages.append((PARTLY_ALLOCATED, t))
    t += _delay(seed, order_id, 4, 0.5, 6.0)
    stages.append((ALLOCATED, t))
    if cancels:
        stages.append((CANCELLED, t + _delay(seed, order_id, 5, 0.25, 2.0)))
        return stages
    for step, (status, low_h, high_h) in enumerate(_FULFILMENT, start=6):
        t += _delay(seed, order_id, step, low_h, high_h)
        stages.append((status, t))
    return stages


def time_of(stages: list[tuple[int, int]], status: int) -> int | None:
    """When the order reached ``status``, or None if its schedule never does."""
    for code, when in stages:
        if code == status:
            return when
    return None
