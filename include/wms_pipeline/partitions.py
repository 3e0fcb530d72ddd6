"""Id-range partitions of one entity for the full sync. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class IdPartition:
    """An inclusive id range of one entity, extracted by one task of a full sync."""

    index: int
    id_min: int
    id_max: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_value(cls, value: IdPartition | dict[str, Any]) -> IdPartition:
        """Mapped tasks receive partitions through XCom, as plain dicts."""
        if isinstance(value, IdPartition):
            return value
        return cls(int(value["index"]), int(value["id_min"]), int(value["id_max"]))


def split_id_range(id_min: int, id_max: int, *, max_partitions: int, min_ids: int) -> list[IdPartition]:
    """Split [id_min, id_max] into at most `max_partitions` contiguous ranges of at least `min_ids` ids.

    The ranges cover every id exactly once; ids are sparse, so equal id spans are the best estimate
    of equal work without counting first.
    """
    if id_max < id_min:
        raise ValueError(f"empty id range [{id_min}, {id_max}]")
    span = id_max - id_min + 1
    count = max(1, min(max_partitions, span // max(1, min_ids)))
    size, extra = divmod(span, count)
    partitions, start = [], id_min
    for index in range(count):
        end = start + size - 1 + (1 if index < extra else 0)
        partitions.append(IdPartition(index, start, end))
        start = end + 1
    return partitions


def share_partitions(counts: Mapping[str, int], total: int) -> dict[str, int]:
    """Share `total` partitions among entities by their record counts, at least one each.

    Each next partition goes to the entity whose partitions are largest, so the largest partition is
    as small as the total allows: a full sync ends when its last partition does, and a fixed number per
    entity left the largest entity's partitions running alone at the end.
    """
    shares = dict.fromkeys(counts, 1)
    for _ in range(max(0, total - len(shares))):
        largest = max(sorted(shares), key=lambda entity: counts[entity] / shares[entity])
        if counts[largest] <= shares[largest]:
            break
        shares[largest] += 1
    return shares
