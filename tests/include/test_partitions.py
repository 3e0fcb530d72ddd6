"""Id partitions of a full sync cover the range exactly once, shared among entities by their size."""

from __future__ import annotations

import itertools

import pytest

from include.wms_pipeline.partitions import IdPartition, share_partitions, split_id_range


@pytest.mark.parametrize(
    ("id_min", "id_max", "max_partitions", "min_ids"),
    [(1, 1000, 4, 100), (40000001, 40000294, 4, 30), (7, 7, 4, 1), (1, 10, 8, 1), (1, 999_999, 3, 1)],
)
def test_partitions_cover_every_id_once(id_min: int, id_max: int, max_partitions: int, min_ids: int) -> None:
    partitions = split_id_range(id_min, id_max, max_partitions=max_partitions, min_ids=min_ids)
    covered = (
        [i for p in partitions for i in range(p.id_min, p.id_max + 1)] if id_max - id_min < 10**5 else []
    )
    if covered:
        assert covered == list(range(id_min, id_max + 1))
    assert partitions[0].id_min == id_min
    assert partitions[-1].id_max == id_max
    assert all(a.id_max + 1 == b.id_min for a, b in itertools.pairwise(partitions))
    assert [p.index for p in partitions] == list(range(len(partitions)))
    assert len(partitions) <= max_partitions


def test_small_ranges_are_not_split_below_the_minimum() -> None:
    assert split_id_range(1, 150, max_partitions=4, min_ids=100) == [IdPartition(0, 1, 150)]


def test_partitions_round_trip_through_xcom_dicts() -> None:
    partition = IdPartition(2, 101, 200)
    assert IdPartition.from_value(partition.as_dict()) == partition


def test_an_empty_range_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty id range"):
        split_id_range(10, 9, max_partitions=2, min_ids=1)


def _largest_partition(counts: dict[str, int], shares: dict[str, int]) -> float:
    return max(counts[entity] / shares[entity] for entity in counts)


@pytest.mark.parametrize(
    "counts",
    [
        {"allocation": 28_000, "order_dtl": 15_000, "order_hdr": 8_000},
        {"allocation": 1_000_000, "order_dtl": 10, "order_hdr": 10, "inventory": 5},
        {"allocation": 300, "order_dtl": 300, "order_hdr": 300},
        {"allocation": 0, "order_dtl": 7, "order_hdr": 50_000},
    ],
)
@pytest.mark.parametrize("total", [1, 3, 4, 7, 12])
def test_shares_make_the_largest_partition_as_small_as_the_total_allows(
    counts: dict[str, int], total: int
) -> None:
    shares = share_partitions(counts, total)
    assert set(shares) == set(counts)
    assert all(share >= 1 for share in shares.values()), "every entity gets a partition"
    assert sum(shares.values()) == max(total, len(counts))
    best = min(
        _largest_partition(counts, dict(zip(counts, combination, strict=True)))
        for combination in itertools.product(range(1, total + 1), repeat=len(counts))
        if sum(combination) == max(total, len(counts))
    )
    assert _largest_partition(counts, shares) == best


def test_a_large_entity_gets_most_partitions() -> None:
    shares = share_partitions({"allocation": 28_000, "order_dtl": 15_000, "order_hdr": 8_000}, 12)
    assert shares == {"allocation": 6, "order_dtl": 4, "order_hdr": 2}


def test_no_entity_gets_more_partitions_than_records() -> None:
    assert share_partitions({"allocation": 2, "order_hdr": 1}, 12) == {"allocation": 2, "order_hdr": 1}
