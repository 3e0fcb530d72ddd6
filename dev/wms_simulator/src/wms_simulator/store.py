"""State of the simulated WMS: tables, the simulated clock, and how time changes the data.

Records are created, changed and deleted only by following each order's deterministic lifecycle
(``lifecycle.schedule``), new orders arrive at a steady deterministic rate, and orders older than
``history_days`` are purged (deleted) once finished. The state at a clock value is therefore the same
whatever sequence of advances led there.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import lifecycle as lc
from .config import SimulatorConfig
from .layout import BASE_IDS, COMPANIES, FACILITIES, Layout
from .rand import mix, unit
from .tables import Table

DAY_US = 24 * lc.HOUR_US
CORE = ("order_hdr", "order_dtl", "allocation", "inventory")
S_COMMIT = 900  # rand salt of the commit-delay draw (+ the entity's position in Store.tables)


@dataclass(frozen=True)
class CommitDelay:
    """A late commit for the changes of one advance: ``delay_us`` after ``mod_ts``, for the records
    of ``entity`` (None: every entity) whose ids are in ``ids`` (None: every record)."""

    delay_us: int
    entity: str | None = None
    ids: frozenset[int] | None = None

    def applies(self, entity: str, record_id: int) -> bool:
        return (self.entity is None or self.entity == entity) and (self.ids is None or record_id in self.ids)


@dataclass
class EntityChanges:
    """What one advance did to one entity (ids)."""

    created: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "changed": len(self.changed),
            "deleted": len(self.deleted),
            "created_ids": self.created,
            "changed_ids": self.changed,
            "deleted_ids": self.deleted,
        }


@dataclass
class AdvanceSummary:
    """Result of ``Simulator.advance``: the interval (caller's clock) and per-entity changes.

    The changes are what the WMS saved, including versions whose commit is still delayed."""

    start: datetime
    end: datetime
    entities: dict[str, EntityChanges]

    def __getitem__(self, entity: str) -> EntityChanges:
        return self.entities[entity]

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "entities": {name: changes.to_json() for name, changes in self.entities.items()},
        }


def to_us(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


class Store:
    """All tables plus the clock; mutated only by ``advance``."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.layout = Layout.from_config(config)
        self.seed = config.seed
        # the store runs on the WMS clock: the caller's start_time plus the configured skew
        self.skew_us = round(config.clock_skew_seconds * 1_000_000)
        self.start_us = to_us(config.start_time) + self.skew_us
        self._distribution: list[tuple[float, int]] = []  # (cumulative probability, delay µs)
        cumulative = 0.0
        for probability, seconds in config.commit_delays:
            cumulative += probability
            self._distribution.append((cumulative, round(seconds * 1_000_000)))
        self.now_us = self.start_us
        self.retention_us = config.history_days * DAY_US
        self.order_gap_us = self.retention_us / config.records  # mean time between two new orders
        self.generation = 0  # bumped on every change; query caches key on it
        self.tables: dict[str, Table] = {
            "company": Table("company", BASE_IDS["company"]),
            "facility": Table("facility", BASE_IDS["facility"]),
            "item": Table("item", BASE_IDS["item"]),
            "location": Table("location", BASE_IDS["location"]),
            "inventory": Table("inventory", BASE_IDS["inventory"]),
            "order_hdr": Table("order_hdr", BASE_IDS["order_hdr"], ("dtl_start",)),
            "order_dtl": Table("order_dtl", BASE_IDS["order_dtl"], ("order", "alloc_start")),
            "allocation": Table("allocation", BASE_IDS["allocation"], ("dtl",)),
            "order_status": Table("order_status", 0, ids=array("i", lc.ORDER_STATUSES)),
            "allocation_status": Table("allocation_status", 0, ids=array("i", lc.ALLOCATION_STATUSES)),
        }
        self.consumed: dict[int, int] = {}  # inventory position -> quantity picked from it
        self.active: list[int] = []  # orders whose lifecycle is not finished
        self.purge_next = 0
        self._round: dict[str, EntityChanges] | None = None
        self._build()

    # helpers --------------------------------------------------------------------------------------------
    def order_create_us(self, pos: int) -> int:
        slot = pos - self.config.records + self.layout.order_create_offset(pos)
        return self.start_us + int(slot * self.order_gap_us)

    def schedule(self, order_pos: int) -> list[tuple[int, int]]:
        hdr = self.tables["order_hdr"]
        return lc.schedule(self.seed, hdr.id_of(order_pos), hdr.create_ts[order_pos])

    def _note(self, entity: str, kind: str, record_id: int) -> None:
        if self._round is not None:
            getattr(self._round[entity], kind).append(record_id)

    # initial build ----------------------------------------------------------------------------------------
    def _build(self) -> None:
        self._build_master_data()
        for pos in range(self.config.records):
            self._create_order(pos)
            if not self._settle(pos, self.start_us, fired_from=None):
                self.active.append(pos)
        for table in self.tables.values():
            table.build_index()

    def _build_master_data(self) -> None:
        base = self.start_us - 400 * DAY_US
        for pos in range(len(COMPANIES)):
            self.tables["company"].append(base + pos * lc.HOUR_US, base + pos * lc.HOUR_US + 60 * DAY_US)
        for pos in range(len(FACILITIES)):
            created = base + DAY_US + pos * lc.HOUR_US
            self.tables["facility"].append(created, created + 90 * DAY_US)
        sizes = {
            "item": self.layout.items,
            "location": self.layout.locations,
            "inventory": self.layout.inventory,
        }
        for offset, (name, count) in enumerate(sizes.items()):
            table = self.tables[name]
            first = base + (10 + offset * 20) * DAY_US
            step = max(1, (100 * DAY_US) // count)
            for pos in range(count):
                created = first + pos * step
                table.append(created, created + (pos % 97) * lc.HOUR_US)
        for name in ("order_status", "allocation_status"):
            for _ in range(len(self.tables[name].ids or ())):
                self.tables[name].append(base - DAY_US, base - DAY_US)

    def _create_order(self, pos: int) -> None:
        hdr, dtl = self.tables["order_hdr"], self.tables["order_dtl"]
        created = self.order_create_us(pos)
        order_id = hdr.id_of(pos)
        hdr.append(created, created, lc.CREATED, dtl_start=len(dtl))
        self._note("order_hdr", "created", order_id)
        for line in range(self.layout.line_count(order_id)):
            line_pos = dtl.append(
                created + 1 + line, created + 1 + line, lc.CREATED, order=pos, alloc_start=-1
            )
            self._note("order_dtl", "created", dtl.id_of(line_pos))

    # lifecycle --------------------------------------------------------------------------------------------
    def _settle(self, order_pos: int, upto_us: int, fired_from: int | None) -> bool:
        """Apply the order's stages with time < upto (only those >= fired_from are new). True if finished."""
        stages = self.schedule(order_pos)
        fired = [(status, when) for status, when in stages if when < upto_us]
        finished = len(fired) == len(stages)
        new = [(s, t) for s, t in fired if fired_from is None or t >= fired_from]
        if not new or self.tables["order_hdr"].deleted[order_pos]:
            return finished
        latest = upto_us - 1
        status, when = fired[-1]
        hdr = self.tables["order_hdr"]
        if fired_from is not None:
            self._note("order_hdr", "changed", hdr.id_of(order_pos))
        hdr.touch(order_pos, min(when, latest), status)
        self._settle_lines(order_pos, fired, new, latest, fired_from is not None)
        return finished

    def _settle_lines(
        self,
        order_pos: int,
        fired: list[tuple[int, int]],
        new: list[tuple[int, int]],
        latest: int,
        track: bool,
    ) -> None:
        dtl = self.tables["order_dtl"]
        order_status = fired[-1][0]
        times = dict(fired)
        new_statuses = {status for status, _ in new}
        first_line = self.tables["order_hdr"].links["dtl_start"][order_pos]
        count = self.layout.line_count(self.tables["order_hdr"].id_of(order_pos))
        offset = 10
        for line in range(count):
            line_pos = first_line + line
            line_id = dtl.id_of(line_pos)
            # line 0 is allocated at "partly allocated", the others at "allocated"
            alloc_at = lc.PARTLY_ALLOCATED if line == 0 and lc.PARTLY_ALLOCATED in times else lc.ALLOCATED
            relevant = [(s, t) for s, t in fired if s != lc.PARTLY_ALLOCATED or line == 0]
            line_status = relevant[-1][0]
            if line_status == lc.PARTLY_ALLOCATED:
                line_status = lc.ALLOCATED
            if any(s in new_statuses for s, _ in relevant):
                if track:
                    self._note("order_dtl", "changed", line_id)
                dtl.touch(line_pos, min(relevant[-1][1] + 1 + line, latest), line_status)
            plan = self.layout.allocation_plan(line_id)
            if alloc_at in times and dtl.links["alloc_start"][line_pos] < 0:
                self._create_allocations(line_pos, len(plan), times[alloc_at] + offset, latest)
            offset += self._settle_allocations(
                line_pos, line_id, plan, order_status, times, new_statuses, latest, offset, track
            )

    def _create_allocations(self, line_pos: int, count: int, when: int, latest: int) -> None:
        alloc, dtl = self.tables["allocation"], self.tables["order_dtl"]
        dtl.links["alloc_start"][line_pos] = len(alloc)
        for index in range(count):
            created = min(when + index, latest)
            pos = alloc.append(created, created, lc.ALLOC_CREATED, dtl=line_pos)
            self._note("allocation", "created", alloc.id_of(pos))

    def _settle_allocations(
        self,
        line_pos: int,
        line_id: int,
        plan: tuple[int, ...],
        order_status: int,
        times: dict[int, int],
        new_statuses: set[int],
        latest: int,
        offset: int,
        track: bool,
    ) -> int:
        alloc = self.tables["allocation"]
        start = self.tables["order_dtl"].links["alloc_start"][line_pos]
        if start < 0:
            return 0
        affecting = [
            s for s in (lc.IN_PICKING, lc.PICKED, lc.IN_PACKING, lc.PACKED, lc.CANCELLED) if s in times
        ]
        for index, qty in enumerate(plan):
            pos = start + index
            if alloc.deleted[pos]:
                continue
            record_id = alloc.id_of(pos)
            changes = [s for s in affecting if s in new_statuses]
            if not changes:
                continue
            when = min(times[affecting[-1]] + offset + index, latest)
            if order_status == lc.CANCELLED and self.layout.deallocates_by_delete(record_id):
                alloc.delete(pos, when)
                self._note("allocation", "deleted", record_id)
                continue
            if track:  # ids created in the same round are dropped from "changed" in advance()
                self._note("allocation", "changed", record_id)
            alloc.touch(pos, max(when, alloc.create_ts[pos]), allocation_status(order_status))
            if track and lc.PICKED in changes:  # the initial build starts from unconsumed inventory
                self._consume(line_pos, line_id, index, qty, when, track)
        return len(plan)

    def _consume(self, line_pos: int, line_id: int, index: int, qty: int, when: int, track: bool) -> None:
        order_pos = self.tables["order_dtl"].links["order"][line_pos]
        order_id = self.tables["order_hdr"].id_of(order_pos)
        item = self.layout.line_item(line_id, self.layout.order_company(order_id))
        inv_pos = self.layout.inventory_pos(
            self.layout.order_facility(order_id), item, self.layout.allocation_slot(line_id, index)
        )
        self.consumed[inv_pos] = self.consumed.get(inv_pos, 0) + qty
        inventory = self.tables["inventory"]
        if not inventory.deleted[inv_pos]:
            inventory.touch(inv_pos, when)
            if track:
                self._note("inventory", "changed", inventory.id_of(inv_pos))

    # late commits -----------------------------------------------------------------------------------------
    def _delay_policy(self, entity: str, rule: CommitDelay | None) -> Callable[[int, int], int] | None:
        """The commit delay (µs) of a change of ``entity``: the advance's rule, else the distribution."""
        if rule is None and not self._distribution:
            return None
        table = self.tables[entity]
        salt = S_COMMIT + list(self.tables).index(entity)
        distribution, seed = self._distribution, self.seed

        def delay_of(pos: int, mod_us: int) -> int:
            record_id = table.id_of(pos)
            if rule is not None and rule.applies(entity, record_id):
                return rule.delay_us
            if distribution:
                draw = unit(seed, salt, mix(record_id) ^ mod_us)
                for cumulative, delay_us in distribution:
                    if draw < cumulative:
                        return delay_us
            return 0

        return delay_of

    # clock --------------------------------------------------------------------------------------------------
    def advance(
        self,
        delta: timedelta,
        commit_delay: timedelta | None = None,
        entity: str | None = None,
        ids: Collection[int] | None = None,
    ) -> AdvanceSummary:
        """Move the clock by ``delta``; with ``commit_delay``, this advance's changes (of ``entity`` /
        ``ids`` if given) become visible ``commit_delay`` after their ``mod_ts`` instead of at once."""
        if delta < timedelta(0):
            raise ValueError("the simulated clock cannot go backwards; pass a positive timedelta")
        rule = None
        if commit_delay is not None:
            if commit_delay < timedelta(0):
                raise ValueError(f"commit_delay must be >= 0, got {commit_delay}")
            if entity is not None and entity not in self.tables:
                raise ValueError(f"unknown entity {entity!r}; known: {', '.join(sorted(self.tables))}")
            rule = CommitDelay(
                int(commit_delay / timedelta(microseconds=1)),
                entity,
                frozenset(ids) if ids is not None else None,
            )
        elif entity is not None or ids is not None:
            raise ValueError("entity and ids select the records of a commit_delay; pass commit_delay too")
        capture = rule is not None or bool(self._distribution)
        for table in self.tables.values():
            table.capture = capture
        begin, end = self.now_us, self.now_us + int(delta / timedelta(microseconds=1))
        self._round = {name: EntityChanges() for name in self.tables}
        hdr = self.tables["order_hdr"]
        while self.order_create_us(len(hdr)) < end:
            self.active.append(len(hdr))
            self._create_order(len(hdr))
        still_active = []
        for pos in self.active:
            if not self._settle(pos, end, fired_from=begin):
                still_active.append(pos)
        self.active = still_active
        self._purge(end)
        for name, table in self.tables.items():
            table.flush_index(self._delay_policy(name, rule) if capture else None)
            table.commit_due(end)
            table.capture = False
        summary = AdvanceSummary(from_us(begin - self.skew_us), from_us(end - self.skew_us), self._round)
        for changes in summary.entities.values():
            created = set(changes.created)
            deleted = set(changes.deleted)
            changes.changed = sorted({i for i in changes.changed if i not in created and i not in deleted})
            changes.created = sorted(created - deleted)
            changes.deleted = sorted(deleted)
        self._round = None
        self.now_us = end
        self.generation += 1
        return summary

    def _purge(self, end: int) -> None:
        """Delete finished orders (with their lines and allocations) older than the retention period."""
        hdr, dtl, alloc = self.tables["order_hdr"], self.tables["order_dtl"], self.tables["allocation"]
        while self.purge_next < len(hdr) and hdr.create_ts[self.purge_next] + self.retention_us < end:
            pos = self.purge_next
            self.purge_next += 1
            when = max(hdr.create_ts[pos] + self.retention_us, self.now_us)
            if hdr.deleted[pos] or hdr.status[pos] not in lc.TERMINAL:
                continue
            hdr.delete(pos, when)
            self._note("order_hdr", "deleted", hdr.id_of(pos))
            first = hdr.links["dtl_start"][pos]
            for line_pos in range(first, first + self.layout.line_count(hdr.id_of(pos))):
                dtl.delete(line_pos, when)
                self._note("order_dtl", "deleted", dtl.id_of(line_pos))
                start = dtl.links["alloc_start"][line_pos]
                if start < 0:
                    continue
                plan = self.layout.allocation_plan(dtl.id_of(line_pos))
                for alloc_pos in range(start, start + len(plan)):
                    if not alloc.deleted[alloc_pos]:
                        alloc.delete(alloc_pos, when)
                        self._note("allocation", "deleted", alloc.id_of(alloc_pos))


def allocation_status(order_status: int) -> int:
    """The status an allocation has while its order is in ``order_status``."""
    if order_status == lc.CANCELLED:
        return lc.ALLOC_CANCELLED
    if order_status >= lc.PACKED:
        return lc.ALLOC_COMPLETED
    if order_status >= lc.PICKED:
        return lc.ALLOC_PICKED
    if order_status >= lc.IN_PICKING:
        return lc.ALLOC_RELEASED
    return lc.ALLOC_CREATED
