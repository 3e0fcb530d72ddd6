"""The key-scan full sync: read `id,mod_ts` of every record, fetch whole records only for new versions.

Phase one pages through the id range with `fields=id,mod_ts` (reference §3, §5; `ordering=id` as any
full sync) and reports every id it saw on the `<entity>__seen` stream, which the loader records for
deletion detection. Phase two asks for the versions the warehouse lacks, `id__in=` batches of ids
(§4), whole records. What the warehouse holds comes in a file the pipeline writes from the raw table
just before the run (`known_versions_file`: one `id<TAB>mod_ts in microseconds since the epoch, UTC`
per line), so nothing carries over between runs but the warehouse itself.

A record that changes between the phases: phase two returns its current version, which is the one
stored (the version phase one saw is gone from the WMS; the raw history has the one the WMS shows).
A record that was unchanged in phase one and changes before phase two ends is left to the next
incremental run, whose mod_ts window covers the change. A WMS that ignores `fields` answers whole
records in phase one; those that are missing are used as they came and not fetched again.
"""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime
from pathlib import Path

KEY_FIELDS = ("id", "mod_ts")
SEEN_SUFFIX = "__seen"
# Every field a key page may carry; anything else means the WMS answered whole records.
_KEY_PAGE_FIELDS = frozenset({*KEY_FIELDS, "url"})
# The id__in query value of one request stays within this many characters. The smallest request-line
# limits common in front of web services are 8 KB (Apache LimitRequestLine 8190 bytes, nginx
# large_client_header_buffers 8k; IIS and most CDNs allow 16 KB): 2,000 characters leave the rest of
# the URL, the gateway's own rewrites and the next_page link the service builds from it well inside
# that, and also fit the old 2,048-character URL limit some proxies still apply.
ID_IN_MAX_CHARS = 2_000
# At most one page of records per id__in request (the service's page_size cap, reference §3).
MAX_IDS_PER_REQUEST = 1250
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class KeyScanError(ValueError):
    """The key scan cannot run as configured (e.g. an unreadable known-versions file)."""


def mod_ts_micros(value: str) -> int:
    """A WMS `mod_ts` (ISO 8601 with offset) as microseconds since the epoch, UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def load_known_versions(path: str | None) -> set[tuple[int, int]]:
    """The (id, mod_ts µs) pairs the warehouse holds for this partition; none when `path` is unset.

    About 150 bytes per pair in memory: a partition of a million versions takes ~150 MB (the full
    sync's partitions are sized by record count, see docs/architecture.md).
    """
    if not path:
        return set()
    known: set[tuple[int, int]] = set()
    try:
        with Path(path).open(encoding="ascii") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                record_id, _, micros = line.partition("\t")
                try:
                    known.add((int(record_id), int(micros)))
                except ValueError:
                    msg = f"`known_versions_file` line {number} is not `id<TAB>microseconds`: {line[:80]!r}"
                    raise KeyScanError(msg) from None
    except OSError as exc:
        msg = f"`known_versions_file` cannot be read: {exc}"
        raise KeyScanError(msg) from None
    return known


def is_whole_record(row: t.Mapping[str, t.Any]) -> bool:
    """True when a key-page row carries more than the key fields (the WMS ignored `fields`)."""
    return any(name not in _KEY_PAGE_FIELDS for name in row)


def id_batches(
    ids: t.Sequence[int], *, max_chars: int = ID_IN_MAX_CHARS, max_ids: int = MAX_IDS_PER_REQUEST
) -> t.Iterator[list[int]]:
    """`ids` in order, cut into batches whose comma list fits `max_chars` and one page (`max_ids`)."""
    batch: list[int] = []
    length = 0
    for record_id in ids:
        text = len(str(record_id)) + (1 if batch else 0)
        if batch and (length + text > max_chars or len(batch) >= max_ids):
            yield batch
            batch, length, text = [], 0, len(str(record_id))
        batch.append(record_id)
        length += text
    if batch:
        yield batch


def seen_schema() -> dict[str, t.Any]:
    """JSON Schema of an `<entity>__seen` record."""
    return {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "mod_ts": {"type": ["string", "null"], "format": "date-time"},
        },
        "required": ["id"],
    }
