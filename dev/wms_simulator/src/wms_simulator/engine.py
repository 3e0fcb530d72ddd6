"""Runs list queries against the store: candidate selection through indexes, filtering, ordering.

Results are position lists cached per (entity, filters, ordering, store generation), so walking a
result page by page costs one evaluation plus O(page) per page. ``id`` filters narrow by arithmetic,
``mod_ts`` windows go through the table's mod_ts index; only the remaining candidates are tested.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from itertools import compress
from typing import Any

from .catalog import catalog
from .layout import DEFAULT_FACILITY
from .query import Filter, ListQuery
from .records import RecordFactory
from .representation import facility_zone
from .store import Store, from_us

Accessor = Callable[[int], Any]
Positions = array  # array("i") of table positions: 4 bytes per row, so cached results stay small
CACHE_SIZE = 16
_FLIP = bytes.maketrans(b"\x00\x01", b"\x01\x00")
_STRING_OPS: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda v, x: x in v,
    "icontains": lambda v, x: x.lower() in v.lower(),
    "startswith": lambda v, x: v.startswith(x),
    "istartswith": lambda v, x: v.lower().startswith(x.lower()),
    "endswith": lambda v, x: v.endswith(x),
    "iendswith": lambda v, x: v.lower().endswith(x.lower()),
    "iexact": lambda v, x: v.lower() == x.lower(),
}


def _matches(value: Any, f: Filter) -> bool:
    lookup, target = f.lookup, f.value
    if lookup == "isnull":
        return bool((value is None) == target)
    if value is None:
        return False
    if lookup in _STRING_OPS:
        return _STRING_OPS[lookup](str(value), target)
    if lookup in ("year", "month", "day", "hour", "minute", "week_day"):
        return bool(_part(value, f) == target)
    if lookup == "exact":
        return bool(value == target)
    if lookup == "in":
        return value in target
    if lookup == "range":
        return bool(target[0] <= value <= target[1])
    if lookup == "gt":
        return bool(value > target)
    if lookup == "gte":
        return bool(value >= target)
    if lookup == "lt":
        return bool(value < target)
    return bool(value <= target)  # lte


def _part(value: Any, f: Filter) -> int:
    if f.field.type == "datetime":
        moment = from_us(value).astimezone(facility_zone(DEFAULT_FACILITY))
        if f.lookup == "week_day":
            return moment.isoweekday() % 7 + 1  # 1 = Sunday ... 7 = Saturday
        return int(getattr(moment, f.lookup))
    day = date.fromisoformat(value)
    if f.lookup == "week_day":
        return day.isoweekday() % 7 + 1
    return int(getattr(day, f.lookup, 0))


class QueryEngine:
    """Evaluates queries for one store; thread-safe through the caller's store lock."""

    def __init__(self, store: Store, factory: RecordFactory) -> None:
        self.store = store
        self.factory = factory
        self._cache: OrderedDict[tuple[Any, ...], Positions[int]] = OrderedDict()
        self._lock = threading.Lock()

    def accessor(self, entity: str, field: str) -> Accessor:
        cheap = self.factory.cheap(entity).get(field)
        if cheap is not None:
            return cheap
        factory = self.factory
        meta = catalog()[entity].fields.get(field)
        is_fk = meta is not None and meta.is_fk

        def from_record(pos: int) -> Any:
            value = factory.raw(entity, pos)[field]
            return value[0] if is_fk and value is not None else value

        return from_record

    # filtering ----------------------------------------------------------------------------------------------
    def predicate(self, root: str, f: Filter) -> Callable[[int], bool]:
        if not f.relations:
            get = self.accessor(root, f.field.name)
            test: Callable[[int], bool] = lambda pos: _matches(get(pos), f)  # noqa: E731
        else:
            ids = self._related_ids(f)
            get = self.accessor(root, f.relations[0])
            test = lambda pos: get(pos) in ids  # noqa: E731
        if f.negate:
            return lambda pos: not test(pos)
        return test

    def _related_ids(self, f: Filter) -> frozenset[int]:
        """Ids of records of the first relation's target that satisfy the rest of the chain."""
        entity = f.targets[0]
        rest = replace(f, relations=f.relations[1:], targets=f.targets[1:], negate=False)
        table = self.store.tables[entity]
        test = self.predicate(entity, rest)
        return frozenset(table.id_of(pos) for pos in table.live_positions() if test(pos))

    def evaluate(self, entity: str, query: ListQuery) -> Positions[int]:
        key = (entity, query.cache_key, self.store.generation)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        result = self._evaluate(entity, query)
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return result

    def _evaluate(self, entity: str, query: ListQuery) -> Positions[int]:
        candidates = self._candidates(entity, query.filters)
        for f in sorted(query.filters, key=lambda f: f.field.name not in self.factory.cheap(entity)):
            candidates = array("i", filter(self.predicate(entity, f), candidates))
        if not query.ordering:
            return candidates
        ordered = list(candidates)
        for name, descending in reversed(query.ordering):
            get = self.accessor(entity, name)
            ordered.sort(key=lambda pos: _sortable(get(pos)), reverse=descending)
        return array("i", ordered)

    def _candidates(self, entity: str, filters: tuple[Filter, ...]) -> Positions[int]:
        table = self.store.tables[entity]
        low, high = 0, len(table)
        window: tuple[int | None, int | None] | None = None
        for f in filters:
            if f.relations or f.negate:
                continue
            bounds = _bounds(f)
            if bounds is None:
                continue
            if f.field.name == "id" and table.ids is None:
                lo, hi = bounds
                low = max(low, lo - table.base_id if lo is not None else 0)
                high = min(high, hi - table.base_id if hi is not None else len(table))
            elif f.field.name == "mod_ts":
                lo, hi = bounds
                current = window or (None, None)
                window = (_max(current[0], lo), _min(current[1], hi))
        if window is not None:
            return array("i", (pos for pos in table.positions_modified_between(*window) if low <= pos < high))
        low, high = max(low, 0), max(high, 0)
        live = table.deleted[low:high].translate(_FLIP)
        if table.shown:  # late commits: records whose creation has not committed are not listed
            return array("i", (pos for pos in compress(range(low, high), live) if table.is_visible(pos)))
        return array("i", compress(range(low, high), live))


def _bounds(f: Filter) -> tuple[int | None, int | None] | None:
    """[low, high) integer bounds implied by an id / mod_ts filter, or None."""
    if f.field.name not in ("id", "mod_ts"):
        return None
    value = f.value
    if f.lookup == "exact":
        return (value, value + 1)
    if f.lookup == "gt":
        return (value + 1, None)
    if f.lookup == "gte":
        return (value, None)
    if f.lookup == "lt":
        return (None, value)
    if f.lookup == "lte":
        return (None, value + 1)
    if f.lookup == "range":
        return (value[0], value[1] + 1)
    if f.lookup == "in" and value:
        return (min(value), max(value) + 1)
    return None


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _min(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _sortable(value: Any) -> tuple[bool, Any]:
    if isinstance(value, tuple):  # FK (id, key): order by id
        value = value[0]
    return (value is not None, value if value is not None else 0)
