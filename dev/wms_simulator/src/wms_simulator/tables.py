"""Compact per-entity storage: parallel typed arrays instead of one dict per record.

Ids are ``base_id + position`` (new records get higher ids). Per record the table keeps only
create/mod timestamps (int microseconds, UTC), a status, a deleted flag and a few link arrays;
everything else is regenerated from the seed. A mod_ts index (append-only, sorted because the simulated
clock only moves forward) answers ``mod_ts`` window filters without a scan.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator
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

    def __len__(self) -> int:
        return len(self.mod_ts)

    def id_of(self, pos: int) -> int:
        return self.base_id + pos if self.ids is None else self.ids[pos]

    def pos_of(self, record_id: int) -> int | None:
        """The position of a live record, or None if unknown or deleted."""
        pos = record_id - self.base_id if self.ids is None else self._pos_by_id.get(record_id, -1)
        if 0 <= pos < len(self.mod_ts) and not self.deleted[pos]:
            return pos
        return None

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
        self.live += 1
        return pos

    def touch(self, pos: int, mod_us: int, status: int | None = None) -> None:
        """Record a change: bump mod_ts (never backwards) and optionally set the status."""
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
            self.live -= 1

    def build_index(self) -> None:
        """Build the mod_ts index from scratch (after the initial bulk load) and start tracking changes."""
        mod_ts = self.mod_ts
        order = sorted(range(len(mod_ts)), key=mod_ts.__getitem__)
        self.index_pos = array("i", order)
        self.index_ts = array("q", (mod_ts[pos] for pos in order))
        self._pending.clear()
        self.track_changes = True

    def flush_index(self) -> None:
        """Append this round's changes to the mod_ts index.

        Every change of a round is later than anything already indexed (the clock only moves forward),
        so the index stays sorted by appending; superseded entries are skipped when read.
        """
        entries = sorted((ts, pos) for pos, ts in self._pending.items())
        self._pending.clear()
        self.index_ts.extend(ts for ts, _ in entries)
        self.index_pos.extend(pos for _, pos in entries)

    def positions_modified_between(self, low_us: int | None, high_us: int | None) -> list[int]:
        """Live positions whose current mod_ts is in [low, high), ascending by position."""
        start = 0 if low_us is None else bisect_left(self.index_ts, low_us)
        stop = len(self.index_ts) if high_us is None else bisect_left(self.index_ts, high_us)
        mod_ts, deleted, index_ts, index_pos = self.mod_ts, self.deleted, self.index_ts, self.index_pos
        found = [
            index_pos[k]
            for k in range(start, stop)
            if not deleted[index_pos[k]] and mod_ts[index_pos[k]] == index_ts[k]
        ]
        found.sort()
        return found

    def live_positions(self) -> Iterator[int]:
        deleted = self.deleted
        return (pos for pos in range(len(deleted)) if not deleted[pos])
