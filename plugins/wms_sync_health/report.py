"""What the page shows, read from the warehouse's `etl_*` tables and the raw history (docs/architecture.md).

Every statement is bounded: the load audit and the quarantine are read for the last `days` only and
with a row limit; the raw history is read per entity by aggregate; identifiers come from the product's
allow-lists (`settings.ENTITIES_ALL`, `settings.RAW_SCHEMA`), values are bind parameters.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from .facts import FactsCache, FactsKey, Opener, compute
from .warehouse import QueryTimeoutError, Warehouse, as_utc, limit_clause, text_prefix

AUDIT_ROWS_LIMIT = 2000
RUNS_PER_ENTITY = 5
QUARANTINE_REASONS_LIMIT = 50
QUARANTINE_NEWEST = 10
VALUE_CHARS = 60
REASON_CHARS = 200
RAW_RECORD_CHARS = 2000
INLINE_SHARE = 0.5
# A field whose name looks like a credential is never shown, whatever the WMS put in it.
SECRET_NAME = re.compile(r"pass|secret|token|auth|credential|api_?key|private", re.IGNORECASE)
REDACTED = "***"


SOURCES_LIMIT = 20


@dataclass(frozen=True)
class Limits:
    """When a number turns red (freshness.py says where each limit comes from)."""

    # The newest loaded window should end at or after this (None: the incremental DAG is unknown).
    window_due: datetime | None
    # Per entity, how old its newest mod_ts may be (None or absent: no limit, a quiet lookup).
    change_age: dict[str, timedelta | None]
    schedule: str | None = None  # the incremental DAG's schedule, shown with window_due


@dataclass
class WmsSource:
    """A WMS the loads of the period read (etl_load_source): base URL and user, never a credential."""

    base_url: str
    user: str
    loads: int
    newest_load: datetime | None


@dataclass
class AuditRun:
    run_id: str
    finished_at: datetime | None
    extracted: int
    inserted: int
    already_present: int
    quarantined: int


@dataclass
class EntityHealth:
    entity: str
    newest_mod_ts: datetime | None = None
    newest_mod_ts_stale: bool = False
    change_age_limit_hours: float | None = None  # None: no limit for this entity
    window_end: datetime | None = None  # the end of its newest incremental window recorded as loaded
    window_stale: bool = False
    runs: list[AuditRun] = field(default_factory=list)
    quarantined_total: int = 0
    full_sync_id: str | None = None
    full_sync_window_end: datetime | None = None
    full_sync_completed_at: datetime | None = None
    marked_deleted: int | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class QuarantineRow:
    stream_name: str
    quarantined_at: datetime | None
    reason: str
    record: str


@dataclass
class Report:
    generated_at: datetime
    warehouse_kind: str | None
    last_window_end: datetime | None
    last_window_stale: bool
    entities: list[EntityHealth]
    daily: dict[str, dict[str, int]]  # day (ISO) -> extracted / inserted / already_present / quarantined
    quarantine_reasons: list[tuple[str, str, int]]
    quarantine_newest: list[QuarantineRow]
    validations: list[dict[str, Any]]
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    window_due: datetime | None = None
    schedule: str | None = None
    sources: list[WmsSource] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=_json_default))  # type: ignore[no-any-return]

    @property
    def red(self) -> bool:
        return bool(
            self.error
            or self.last_window_stale
            or any(
                e.newest_mod_ts_stale or e.window_stale or e.problems or e.quarantined_total
                for e in self.entities
            )
            or self.quarantine_reasons
            or len({(s.base_url, s.user) for s in self.sources}) > 1
            or any(v.get("state") in {"failed", "upstream_failed"} for v in self.validations)
        )


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def truncate(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def redact_record(raw: str) -> str:
    """A quarantined record for display: credential-like fields hidden, every value cut to VALUE_CHARS.

    The warehouse keeps at most RAW_RECORD_CHARS of it here; a record cut there is not JSON any more,
    so its text is shown cut, with credential-like `"name": value` pairs hidden all the same.
    """
    try:
        record = json.loads(raw)
    except ValueError:
        hidden = re.sub(
            r'("[^"]*(?:pass|secret|token|auth|credential|api_?key|private)[^"]*"\s*:\s*)("[^"]*"?|[^,}]*)',
            rf'\1"{REDACTED}"',
            raw,
            flags=re.IGNORECASE,
        )
        return truncate(hidden, 300)
    if not isinstance(record, dict):
        return truncate(str(record), VALUE_CHARS)
    shown = {
        str(key): REDACTED if SECRET_NAME.search(str(key)) else truncate(_plain(value), VALUE_CHARS)
        for key, value in record.items()
    }
    return truncate(json.dumps(shown, ensure_ascii=False), 600)


def public_url(url: str) -> str:
    """A base URL as shown: scheme, host, port and path; any user:password@, query or fragment dropped."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return truncate(url.rsplit("@", maxsplit=1)[-1].split("?", maxsplit=1)[0], 200)
    port = f":{parts.port}" if parts.port else ""
    return truncate(f"{parts.scheme}://{parts.hostname}{port}{parts.path}", 200)


def _plain(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()) else 0


class ReportBuilder:
    """Reads one warehouse; each section catches its own time-out so the others still show."""

    def __init__(
        self,
        warehouse: Warehouse,
        *,
        raw_schema: str,
        entities: tuple[str, ...],
        days: int,
        now: datetime,
        scope: str = "",
        cache: FactsCache | None = None,
        opener: Opener | None = None,
    ) -> None:
        self.wh = warehouse
        self.scope = scope
        self.cache = cache if cache is not None else FactsCache()
        self.opener = opener
        self.audit_read = False
        self.full_syncs_read = False
        self.raw = raw_schema
        self.entities = entities
        self.days = days
        self.now = now
        self.notes: list[str] = []

    def table(self, name: str) -> str:
        return f"{self.raw}.{name}"

    def entity_health(self, limits: Limits) -> dict[str, EntityHealth]:
        found = {entity: EntityHealth(entity) for entity in self.entities}
        ends = self.window_ends()
        for entity, health in found.items():
            limit = limits.change_age.get(entity)
            health.change_age_limit_hours = limit.total_seconds() / 3600 if limit is not None else None
            health.window_end = ends.get(entity)
            health.window_stale = window_is_stale(health.window_end, limits.window_due)
        self._audit_runs(found)
        self._full_syncs(found)
        # The whole-table numbers may use this share of what is left; the rest is for the other sections.
        if not (self.audit_read and self.full_syncs_read):
            # Their key would be wrong: the cached numbers belong to an entity's newest load and sync.
            self.notes.append(
                "newest mod_ts and records marked deleted: not read (the load audit was not read)"
            )
            return found
        until = time.monotonic() + self.wh.remaining() * INLINE_SHARE
        waiting = []
        for health in found.values():
            if not self._history_facts(health, limits, until):
                waiting.append(health.entity)
        if waiting:
            self.notes.append(
                f"newest mod_ts and records marked deleted of {', '.join(waiting)}: being computed in the "
                "background (large tables; once per load); reload in a moment"
            )
        return found

    def _guard(self, what: str, health: EntityHealth | None = None) -> _Section:
        return _Section(self, what, health)

    def _history_facts(self, health: EntityHealth, limits: Limits, until: float) -> bool:
        """Newest mod_ts and deletions from the cache, inline, or later; False when left for later."""
        last = health.runs[0] if health.runs else None
        key = FactsKey(
            self.scope,
            health.entity,
            f"{last.run_id}@{last.finished_at}" if last else None,
            health.full_sync_id,
            health.full_sync_window_end,
        )
        facts = self.cache.get(key)
        if facts is None:
            failed = self.cache.failure(key)
            if failed:
                health.problems.append(
                    f"newest mod_ts and deletions of {health.entity}: not readable ({failed})"
                )
                return True
            with self._guard(f"newest mod_ts and deletions of {health.entity}", health):
                try:
                    facts = compute(self.wh, self.raw, key, until)
                except QueryTimeoutError:
                    if self.opener is None:
                        raise
                    self.cache.compute_later(key, self.raw, self.opener)
                    return False
                self.cache.put(key, facts)
        if facts is not None:
            health.newest_mod_ts = facts.newest_mod_ts
            health.marked_deleted = facts.marked_deleted
            limit = limits.change_age.get(health.entity)
            if facts.newest_mod_ts is not None and limit is not None:
                health.newest_mod_ts_stale = self.now - facts.newest_mod_ts > limit
        return True

    def audit_rows(self) -> list[tuple[Any, ...]]:
        if not hasattr(self, "_audit"):
            self._audit: list[tuple[Any, ...]] = []
            with self._guard("the load audit"):
                self._audit = self.wh.rows(
                    "select stream_name, run_id, finished_at, records_received, records_inserted, "
                    f"records_already_present, records_quarantined from {self.table('etl_load_audit')} "
                    "where finished_at >= :since order by finished_at desc "
                    + limit_clause(self.wh.kind, AUDIT_ROWS_LIMIT),
                    {"since": self.wh.bind_time(self.now - timedelta(days=self.days))},
                )
                self.audit_read = True
                if len(self._audit) >= AUDIT_ROWS_LIMIT:
                    self.notes.append(f"the load audit shows its newest {AUDIT_ROWS_LIMIT} rows only")
        return self._audit

    def _audit_runs(self, found: dict[str, EntityHealth]) -> None:
        for stream, run_id, finished, received, inserted, present, quarantined in self.audit_rows():
            health = found.get(str(stream))
            if health is None:
                continue
            health.quarantined_total += _int(quarantined)
            if len(health.runs) < RUNS_PER_ENTITY:
                health.runs.append(
                    AuditRun(
                        str(run_id),
                        as_utc(finished),
                        _int(received),
                        _int(inserted),
                        _int(present),
                        _int(quarantined),
                    )
                )

    def daily(self) -> dict[str, dict[str, int]]:
        """Per day (UTC) of the last `days`: the audit's four counts summed over every stream."""
        days: dict[str, dict[str, int]] = {}
        for offset in range(self.days - 1, -1, -1):
            day = (self.now - timedelta(days=offset)).date().isoformat()
            days[day] = {"extracted": 0, "inserted": 0, "already_present": 0, "quarantined": 0}
        for _stream, _run, finished, received, inserted, present, quarantined in self.audit_rows():
            moment = as_utc(finished)
            if moment is None or moment.date().isoformat() not in days:
                continue
            bucket = days[moment.date().isoformat()]
            bucket["extracted"] += _int(received)
            bucket["inserted"] += _int(inserted)
            bucket["already_present"] += _int(present)
            bucket["quarantined"] += _int(quarantined)
        return days

    def _full_syncs(self, found: dict[str, EntityHealth]) -> None:
        with self._guard("the completed full syncs"):
            rows = self.wh.rows(
                "select stream_name, sync_id, window_end, completed_at from "
                f"{self.table('etl_full_sync_complete')} order by window_end desc, completed_at desc, sync_id desc "
                + limit_clause(self.wh.kind, 500)
            )
            self.full_syncs_read = True
            for stream, sync_id, window_end, completed_at in rows:
                health = found.get(str(stream))
                if health is not None and health.full_sync_id is None:
                    health.full_sync_id = str(sync_id)
                    health.full_sync_window_end = as_utc(window_end)
                    health.full_sync_completed_at = as_utc(completed_at)

    def window_ends(self) -> dict[str, datetime]:
        """Per stream, the end of its newest incremental window recorded as loaded (etl_loaded_windows:
        one row per stream and successful run, about 12 a day per entity)."""
        if not hasattr(self, "_window_ends"):
            self._window_ends: dict[str, datetime] = {}
            with self._guard("the loaded windows"):
                rows = self.wh.rows(
                    f"select stream_name, max(window_end) from {self.table('etl_loaded_windows')} "
                    "group by stream_name"
                )
                self._window_ends = {
                    str(stream): end for stream, newest in rows if (end := as_utc(newest)) is not None
                }
        return self._window_ends

    def last_window_end(self) -> datetime | None:
        """The end of the newest incremental window recorded as loaded, over every stream."""
        return max(self.window_ends().values(), default=None)

    def sources(self) -> list[WmsSource]:
        """The WMS (base URL and user) the loads of the period read, newest first (etl_load_source)."""
        found: list[WmsSource] = []
        with self._guard("the load sources"):
            rows = self.wh.rows(
                "select wms_base_url, wms_user, count(*) as loads, max(started_at) as newest from "
                f"{self.table('etl_load_source')} where started_at >= :since "
                "group by wms_base_url, wms_user order by newest desc "
                + limit_clause(self.wh.kind, SOURCES_LIMIT),
                {"since": self.wh.bind_time(self.now - timedelta(days=self.days))},
            )
            found = [
                WmsSource(public_url(str(url or "")), truncate(str(user or ""), 128), _int(n), as_utc(at))
                for url, user, n, at in rows
            ]
        return found

    def quarantine_reasons(self) -> list[tuple[str, str, int]]:
        found: list[tuple[str, str, int]] = []
        with self._guard("the quarantine counts"):
            reason = text_prefix(self.wh.kind, "reason", REASON_CHARS)
            rows = self.wh.rows(
                f"select stream_name, {reason} as reason_text, count(*) as n from "
                f"{self.table('etl_quarantine')} where quarantined_at >= :since "
                f"group by stream_name, {reason} order by n desc, stream_name "
                + limit_clause(self.wh.kind, QUARANTINE_REASONS_LIMIT),
                {"since": self.wh.bind_time(self.now - timedelta(days=self.days))},
            )
            found = [(str(s), truncate(str(r or ""), REASON_CHARS), _int(n)) for s, r, n in rows]
        return found

    def quarantine_newest(self) -> list[QuarantineRow]:
        found: list[QuarantineRow] = []
        with self._guard("the newest quarantined records"):
            rows = self.wh.rows(
                f"select stream_name, quarantined_at, {text_prefix(self.wh.kind, 'reason', REASON_CHARS)}, "
                f"{text_prefix(self.wh.kind, 'raw_record', RAW_RECORD_CHARS)} "
                f"from {self.table('etl_quarantine')} where quarantined_at >= :since "
                "order by quarantined_at desc " + limit_clause(self.wh.kind, QUARANTINE_NEWEST),
                {"since": self.wh.bind_time(self.now - timedelta(days=self.days))},
            )
            found = [
                QuarantineRow(
                    str(s), as_utc(at), truncate(str(r or ""), REASON_CHARS), redact_record(str(raw or ""))
                )
                for s, at, r, raw in rows
            ]
        return found


class _Section:
    """Context manager: a time-out or a missing table in one section becomes a note, not a failure."""

    def __init__(self, builder: ReportBuilder, what: str, health: EntityHealth | None) -> None:
        self.builder, self.what, self.health = builder, what, health

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: object) -> bool:
        if error is None:
            return False
        if isinstance(error, QueryTimeoutError):
            message = f"{self.what}: not read, {error}"
        elif isinstance(error, Exception):
            # A table that does not exist yet (before the first load) is the usual cause; the driver's
            # class name is enough to tell, and carries no credential.
            message = f"{self.what}: not readable ({type(error).__name__}: {truncate(str(error).splitlines()[0] if str(error) else '', 160)})"
        else:
            return False
        if self.health is not None:
            self.health.problems.append(message)
        else:
            self.builder.notes.append(message)
        return True


def window_is_stale(window_end: datetime | None, due: datetime | None) -> bool:
    """Red when nothing was loaded, or the newest window ends before the schedule's due interval end."""
    return window_end is None or (due is not None and window_end < due)


def now_utc() -> datetime:
    return datetime.now(UTC)
