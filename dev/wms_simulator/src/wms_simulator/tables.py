"""Compact per-entity storage: parallel typed arrays instead of one dict per record.

Ids are ``base_id + position`` (new records get higher ids). Per record the table keeps only
create/mod timestamps (int microseconds, UTC), a status, a deleted flag and a few link arrays;
everything else is regenerated from the seed. A mod_ts index (append-only, sorted because the simulated
clock only moves forward) answers ``mod_ts`` window filters without a scan.

Late commits (opt-in): the arrays always hold the newest saved state, which the lifecycle reads and
writes. A change whose commit is delayed is queued with its commit time, and until then readers (list
and detail requests, ``Simulator.versions``) see the version before it through a small overlay
(``shown``): the older ``(mod_ts, status)``, or nothing for a record whose creation has not committed.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import Any


class Table:
    """The records of one entity."""

    def __init__(
        self, name: str, base_id: int, links: tuple[str, ...] = (), ids: array[int] | None = None
    ) -> None:
        self.name = name
        self.base_id = base_id
        self.ids = ids  # explicit ids (lookup tables whose ids are status codes); else base_id + position
        self._pos_by_id = {record_id: pos for pos, record_id in enumerate(ids)} if ids is not None else {}
        self.create_ts = array("q")
        self.mod_ts = array("q")
        self.status = array("h")
        self.deleted = bytearray()
        self.deleted_at: dict[int, int] = {}
        self.links: dict[str, array[int]] = {link: array("i") for link in links}
        self.overrides: dict[int, dict[str, Any]] = {}
        self.index_ts = array("q")
        self.index_pos = array("i")
        self._pending: dict[int, int] = {}
        self.track_changes = False  # off during the bulk initial build, which calls build_index() once
        self.live = 0
        # late commits (see the module docstring); all empty unless a commit delay is in force
        self.capture = False  # remember each record's state before its first change of the round
        self._before: dict[int, tuple[int, int] | None] = {}  # None: created this round
        self.shown: dict[int, tuple[int, int] | None] = {}  # pos -> visible (mod_us, status); None: not yet
        self.commits: dict[int, list[tuple[int, int, int]]] = {}  # pos -> queued (commit_us, mod_us, status)

    def __len__(self) -> int:
        return len(self.mod_ts)

    def id_of(self, pos: int) -> int:
        return self.base_id + pos if self.ids is None else self.ids[pos]

    def pos_of(self, record_id: int) -> int | None:
        """The position of a live record, or None if unknown or deleted."""
        pos = record_id - self.base_id if self.ids is None else self._pos_by_id.get(record_id, -1)
        if 0 <= pos < len(self.mod_ts) and not self.deleted[pos] and self.is_visible(pos):
            return pos
        return None

    # what readers see (late commits) -------------------------------------------------------------------
    def is_visible(self, pos: int) -> bool:
        """False while the record's creation has not committed (deletion is checked separately)."""
        return not self.shown or self.shown.get(pos, ()) is not None

    def visible_mod_ts(self, pos: int) -> int:
        shown = self.shown.get(pos) if self.shown else None
        return self.mod_ts[pos] if shown is None else shown[0]

    def visible_status(self, pos: int) -> int:
        shown = self.shown.get(pos) if self.shown else None
        return self.status[pos] if shown is None else shown[1]

    def append(self, create_us: int, mod_us: int, status: int = 0, **links: int) -> int:
        pos = len(self.mod_ts)
        self.create_ts.append(create_us)
        self.mod_ts.append(mod_us)
        self.status.append(status)
        self.deleted.append(0)
        for name, column in self.links.items():
            column.append(links.get(name, -1))
        if self.track_changes:
            self._pending[pos] = mod_us
            if self.capture:
                self._before[pos] = None
        self.live += 1
        return pos

    def touch(self, pos: int, mod_us: int, status: int | None = None) -> None:
        """Record a change: bump mod_ts (never backwards) and optionally set the status."""
        if self.capture and self.track_changes and pos not in self._before:
            self._before[pos] = (self.mod_ts[pos], self.status[pos])
        self.mod_ts[pos] = max(self.mod_ts[pos], mod_us)
        if status is not None:
            self.status[pos] = status
        if self.track_changes:
            self._pending[pos] = self.mod_ts[pos]

    def delete(self, pos: int, when_us: int) -> None:
        if not self.deleted[pos]:
            self.deleted[pos] = 1
            self.deleted_at[pos] = when_us
            self._pending.pop(pos, None)
            self._before.pop(pos, None)
            self.shown.pop(pos, None)  # a deletion is visible at once and ends any queued commit
            self.commits.pop(pos, None)
            self.live -= 1

    def build_index(self) -> None:
        """Build the mod_ts index from scratch (after the initial bulk load) and start tracking changes."""
        mod_ts = self.mod_ts
        order = sorted(range(len(mod_ts)), key=mod_ts.__getitem__)
        self.index_pos = array("i", order)
        self.index_ts = array("q", (mod_ts[pos] for pos in order))
        self._pending.clear()
        self.track_changes = True

    def flush_index(self, delay_of: Callable[[int, int], int] | None = None) -> None:
        """Append this round's changes to the mod_ts index and queue the ones that commit late.

        Every change of a round is later than anything already indexed (the clock only moves forward),
        so the index stays sorted by appending; superseded entries are skipped when read. A version that
        is not visible yet keeps its entry too: readers match entries against the visible mod_ts.

        ``delay_of(pos, mod_us)`` is the commit delay (µs) of this round's change of ``pos``. A change of
        a record that already waits for a commit queues behind it (the row is locked until then).
        """
        entries = sorted((ts, pos) for pos, ts in self._pending.items())
        self._pending.clear()
        self.index_ts.extend(ts for ts, _ in entries)
        self.index_pos.extend(pos for _, pos in entries)
        if delay_of is not None or self.commits:
            for ts, pos in entries:
                queue = self.commits.get(pos)
                delay = delay_of(pos, ts) if delay_of is not None else 0
                if delay <= 0 and queue is None:
                    continue
                commit_us = ts + max(delay, 0)
                if queue is None:
                    if pos not in self._before:  # not captured: no delay was in force when it changed
                        continue
                    self.shown[pos] = self._before[pos]
                    queue = self.commits[pos] = []
                else:
                    commit_us = max(commit_us, queue[-1][0])
                queue.append((commit_us, ts, self.status[pos]))
        self._before.clear()

    def commit_due(self, now_us: int) -> None:
        """Make visible every queued version whose commit time is at or before ``now_us``."""
        for pos in list(self.commits):
            queue = self.commits[pos]
            done = 0
            while done < len(queue) and queue[done][0] <= now_us:
                done += 1
            if done == len(queue):
                del self.commits[pos]
                del self.shown[pos]
            elif done:
                _, mod_us, status = queue[done - 1]
                self.shown[pos] = (mod_us, status)
                del queue[:done]

    def pending_commits(self) -> dict[int, tuple[int, int]]:
        """Records with a version not visible yet: pos -> (newest mod_us, its commit time µs)."""
        return {pos: (queue[-1][1], queue[-1][0]) for pos, queue in self.commits.items()}

    def positions_modified_between(self, low_us: int | None, high_us: int | None) -> list[int]:
        """Live positions whose current mod_ts is in [low, high), ascending by position."""
        start = 0 if low_us is None else bisect_left(self.index_ts, low_us)
        stop = len(self.index_ts) if high_us is None else bisect_left(self.index_ts, high_us)
        mod_ts, deleted, index_ts, index_pos = self.mod_ts, self.deleted, self.index_ts, self.index_pos
        if self.shown:
            visible = self.visible_mod_ts
            found = [
                index_pos[k]
                for k in range(start, stop)
                if not deleted[index_pos[k]]
                and self.is_visible(index_pos[k])
                and visible(index_pos[k]) == index_ts[k]
            ]
            found.sort()
            return found
        found = [
            index_pos[k]
            for k in range(start, stop)
            if not deleted[index_pos[k]] and mod_ts[index_pos[k]] == index_ts[k]
        ]
        found.sort()
        return found

    def live_positions(self) -> Iterator[int]:
        """Positions a reader sees: not deleted and not waiting for their creation to commit."""
        deleted = self.deleted
        if self.shown:
            return (pos for pos in range(len(deleted)) if not deleted[pos] and self.is_visible(pos))
        return (pos for pos in range(len(deleted)) if not deleted[pos])
