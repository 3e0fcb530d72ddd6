"""The one lgfapi base stream: URL, auth, paging, window filters and the error policy.

Error policy (the WMS documents no rate limits; see the protocol reference §10-11, §16):

* 404 on a list is an empty result (lgfapi's default for "no rows match").
* 409, 429, 5xx, connection errors and truncated or malformed bodies are retried with
  exponential backoff plus jitter, waiting at least `Retry-After` when the server sends it.
* 504 (the 5-minute gateway limit) also halves the page size for the rest of the stream.
* 401 and 403 fail at once, naming the setting to fix; an OAuth2 token rejected mid-run is
  refreshed once first.
"""

from __future__ import annotations

import random
import sys
import typing as t
import weakref
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from http import HTTPStatus

import msgspec
import requests
from singer_sdk import singerlib as singer
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers._catalog import pop_deselected_record_properties
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams import RESTStream

from tap_oracle_wms.auth import PERMISSION_HINT, WMSOAuthAuthenticator, credential_hint
from tap_oracle_wms.keyscan import (
    KEY_FIELDS,
    SEEN_SUFFIX,
    id_batches,
    is_whole_record,
    load_known_versions,
    mod_ts_micros,
    seen_schema,
)
from tap_oracle_wms.pagination import NextPageLinkPaginator, resize_page_url
from tap_oracle_wms.progress import ProgressReporter
from tap_oracle_wms.readahead import read_ahead
from tap_oracle_wms.records import RecordFlattener
from tap_oracle_wms.schema import kind_of_value, property_schema
from tap_oracle_wms.window import ExtractionWindow

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from backoff.types import Details
    from singer_sdk.helpers.types import Auth, Context, RequestFunc
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    from tap_oracle_wms.tap import TapOracleWMS

MIN_PAGE_SIZE = 10
MAX_BACKOFF_SECONDS = 300.0
READ_AHEAD_CHUNK = 250
RETRIABLE_CLIENT_STATUSES = {HTTPStatus.CONFLICT, HTTPStatus.TOO_MANY_REQUESTS}
# Decimals stay exact; msgspec reads a page several times faster than the standard library.
_PAGE_DECODER = msgspec.json.Decoder(float_hook=Decimal)


class PayloadCache:
    """The parsed JSON body of each response, parsed once while validating it."""

    def __init__(self) -> None:
        self._payloads: weakref.WeakKeyDictionary[requests.Response, dict[str, t.Any]] = (
            weakref.WeakKeyDictionary()
        )

    def put(self, response: requests.Response, payload: dict[str, t.Any]) -> None:
        """Remember the payload of a validated response."""
        self._payloads[response] = payload

    def get(self, response: requests.Response) -> dict[str, t.Any] | None:
        """The payload of a validated response, or None (404/204: no body)."""
        return self._payloads.get(response)


class WMSStream(RESTStream[t.Any]):
    """Base class of every lgfapi entity stream: a subclass only sets `entity`."""

    #: lgfapi entity name; also the Singer stream name.
    entity: t.ClassVar[str]

    primary_keys: t.ClassVar[list[str]] = ["id"]
    replication_key = "mod_ts"
    # Records come ordered by id, not mod_ts: the SDK keeps a max-mod_ts bookmark instead.
    is_sorted = False
    # RecordFlattener types every value by the schema; the SDK's per-value pass would redo it.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: TapOracleWMS) -> None:
        self._wms_tap = tap
        super().__init__(tap=tap, name=self.entity, schema=tap.schema_source.schema_for(self.entity))
        self._window = ExtractionWindow.from_config(self.config)
        self._page_size = int(self.config.get("page_size") or 1000)
        self._payloads = PayloadCache()
        self._flattener = RecordFlattener(self.schema)
        self._announced: dict[str, dict[str, t.Any]] = {}
        # The effective schema's property names; computed at the first record (the catalog is in by then).
        self._known_properties: frozenset[str] | None = None
        self._selects_every_property: bool | None = None
        self._token_refreshed_after_401 = False
        self._progress: ProgressReporter | None = None
        # Key-scan full sync (keyscan.py): only for a full sync (no mod_ts window).
        self._key_scan = self.config.get("full_sync_mode") == "keys" and not self._window.is_incremental
        # What the next requests ask for: None (whole records), "keys" (phase one) or an id__in batch.
        self._phase_params: dict[str, str] = {}

    # -- endpoint and auth -------------------------------------------------------------

    @override
    @property
    def url_base(self) -> str:
        return self._wms_tap.entity_url("")

    @property
    def path(self) -> str:  # type: ignore[override]
        """The list path of the entity, e.g. `allocation/`."""
        return f"{self.name}/"

    @override
    @property
    def authenticator(self) -> Auth:
        return self._wms_tap.authenticator

    @override
    @property
    def timeout(self) -> int:
        return int(self.config.get("request_timeout") or 300)

    @override
    @property
    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    # -- requests ----------------------------------------------------------------------

    @override
    def get_new_paginator(self) -> NextPageLinkPaginator:
        return NextPageLinkPaginator(self._payloads, self.url_base)

    @override
    def get_http_request(self, *, page: PageContext[t.Any]) -> HTTPRequest:
        request = super().get_http_request(page=page)
        if page.next_page_token:
            # next_page already carries every filter, the cursor or page number.
            request.url = page.next_page_token.geturl()
            request.params = {}
        return request

    @override
    def get_url_params(self, context: Context | None, next_page_token: t.Any | None) -> dict[str, t.Any]:
        params: dict[str, t.Any] = {
            "page_mode": self.config.get("page_mode") or "sequenced",
            "page_size": self._page_size,
            # Ordering by id is 5-10x faster than by mod_ts on the real service.
            "ordering": "id",
            **self._window.filters(),
            **self._phase_params,
        }
        properties = self.schema.get("properties", {})
        if self.config.get("facility_code") and "facility_id" in properties:
            params["facility_id__code"] = self.config["facility_code"]
        if self.config.get("company_code") and "company_id" in properties:
            params["company_id__code"] = self.config["company_code"]
        return params

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        def send_with_current_page_size(
            prepared_request: requests.PreparedRequest, context: Context | None
        ) -> requests.Response:
            # Each attempt re-reads the page size, so a retry after a 504 asks for less.
            url = prepared_request.url or ""
            resized = resize_page_url(url, self._page_size)
            if resized != url:
                prepared_request.prepare_url(resized, None)
            return func(prepared_request, context)

        decorated = super().request_decorator(send_with_current_page_size)

        def name_the_failure(
            prepared_request: requests.PreparedRequest, context: Context | None
        ) -> requests.Response:
            # After the last retry, a transport error (reset, truncated body, timeout) would surface
            # as a bare requests exception; say which stream and how many attempts it took.
            try:
                return decorated(prepared_request, context)
            except requests.RequestException as exc:
                msg = (
                    f"{self.name} ({self.path}): no usable answer after {self.backoff_max_tries()} "
                    f"attempts: {type(exc).__name__}: {_short_error(exc)}"
                )
                raise FatalAPIError(msg) from exc

        return name_the_failure

    # -- error policy ------------------------------------------------------------------

    @override
    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status in {HTTPStatus.NOT_FOUND, HTTPStatus.NO_CONTENT}:
            return  # lgfapi answers 404 when no row matches the filters
        if status == HTTPStatus.UNAUTHORIZED:
            self._on_unauthorized(response)
        if status == HTTPStatus.FORBIDDEN:
            msg = f"lgfapi refused {self.name} (HTTP 403): {PERMISSION_HINT}"
            raise FatalAPIError(msg)
        if status == HTTPStatus.GATEWAY_TIMEOUT:
            self._shrink_page_size()
        if status in RETRIABLE_CLIENT_STATUSES or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(self.response_error_message(response), response)
        if status >= HTTPStatus.BAD_REQUEST:
            raise FatalAPIError(self.response_error_message(response))
        self._payloads.put(response, self._parse_list_body(response))
        self._token_refreshed_after_401 = False

    def _parse_list_body(self, response: requests.Response) -> dict[str, t.Any]:
        try:
            payload = _PAGE_DECODER.decode(response.content)
        except msgspec.DecodeError:
            msg = f"Malformed or truncated JSON from {self.name} ({len(response.content)} bytes)"
            raise RetriableAPIError(msg, response) from None
        if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
            msg = f"{self.name} answered without a `results` list"
            raise RetriableAPIError(msg, response)
        return payload

    def _on_unauthorized(self, response: requests.Response) -> None:
        authenticator = self.authenticator
        if isinstance(authenticator, WMSOAuthAuthenticator) and not self._token_refreshed_after_401:
            # The token may have expired or been revoked mid-run: refresh once, then retry.
            self._token_refreshed_after_401 = True
            authenticator.invalidate()
            msg = f"{self.name}: OAuth2 token rejected (HTTP 401); fetching a new one"
            raise RetriableAPIError(msg, response)
        auth_type = "oauth2" if isinstance(authenticator, WMSOAuthAuthenticator) else "basic"
        msg = f"lgfapi rejected the credentials (HTTP 401 on {self.name}): {credential_hint(auth_type)}"
        raise FatalAPIError(msg)

    def _shrink_page_size(self) -> None:
        smaller = max(MIN_PAGE_SIZE, self._page_size // 2)
        if smaller < self._page_size:
            self.logger.warning(
                "%s: gateway timeout (504); page size %d -> %d for the rest of this stream",
                self.name,
                self._page_size,
                smaller,
            )
            self._page_size = smaller

    @override
    def response_error_message(self, response: requests.Response) -> str:
        # Path only (no query string) and a short body: nothing that could carry a secret.
        body = response.text[:300] if response.content else ""
        return f"{response.status_code} {response.reason} for {self.name} ({self.path}): {body}".strip()

    @override
    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        base = float(self.config.get("retry_backoff_seconds") or 1.0)

        def waits() -> t.Generator[float, t.Any, None]:
            exception = yield 0.0  # primed by backoff with send(None)
            attempt = 0
            while True:
                delay = min(MAX_BACKOFF_SECONDS, base * 2**attempt)
                attempt += 1
                retry_after = _retry_after_seconds(exception)
                if retry_after is not None:
                    delay = max(delay, min(retry_after, MAX_BACKOFF_SECONDS))
                exception = yield delay

        return waits()

    @override
    def backoff_jitter(self, value: float) -> float:
        # Never below the computed wait (it may be a Retry-After), up to 25% above it.
        return value * (1 + random.random() / 4)  # noqa: S311 - jitter, not cryptography

    @override
    def backoff_max_tries(self) -> int:
        return int(self.config.get("max_retries", 5)) + 1

    @override
    def backoff_handler(self, details: Details) -> None:
        exception = details.get("exception")
        self.logger.warning(
            "%s: attempt %d failed (%s); retrying in %.2f s",
            self.name,
            details.get("tries", 0),
            _describe_failure(exception),
            details.get("wait") or 0.0,
        )

    # -- records -----------------------------------------------------------------------

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        payload = self._payloads.get(response)
        results: list[dict[str, t.Any]] = payload["results"] if payload else []
        if self._progress is not None:
            self._progress.page_read(len(results))
        yield from results

    @override
    def request_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        # Requests, retries and paging run one page ahead in a thread; records stay in order.
        return read_ahead(
            super().request_records(context), chunk_size=READ_AHEAD_CHUNK, name=f"{self.name}-pages"
        )

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        self._progress = ProgressReporter(
            self.name,
            self.logger,
            float(self.config.get("progress_interval_seconds") or 30.0),
        )
        self.logger.info("%s: reading with filters %s", self.name, self._window.filters() or "none (all ids)")
        if self._key_scan:
            yield from self._key_scan_records(context)
        else:
            yield from super().get_records(context)
        self._progress.finish()

    def _key_scan_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Phase one: every (id, mod_ts), each id reported on `<entity>__seen`; phase two: whole
        records of the versions the warehouse lacks, by id__in (see keyscan.py)."""
        known = load_known_versions(self.config.get("known_versions_file"))
        seen_stream = f"{self.name}{SEEN_SUFFIX}"
        self._wms_tap.write_message(singer.SchemaMessage(seen_stream, seen_schema(), ["id"]))
        missing: list[int] = []
        used_as_sent = 0
        self._phase_params = {"fields": ",".join(KEY_FIELDS)}
        for row in self.request_records(context):
            record_id, mod_ts = int(row["id"]), row.get("mod_ts")
            self._wms_tap.write_message(
                singer.RecordMessage(
                    stream=seen_stream, record={"id": record_id, "mod_ts": mod_ts}, time_extracted=utc_now()
                )
            )
            if mod_ts is not None and (record_id, mod_ts_micros(str(mod_ts))) in known:
                continue
            if is_whole_record(row):
                used_as_sent += 1  # the WMS ignored `fields`: this is the whole record already
                yield row
            else:
                missing.append(record_id)
        self.logger.info(
            "%s: key scan found %d versions the warehouse lacks%s",
            self.name,
            len(missing) + used_as_sent,
            f" ({used_as_sent} came whole: `fields` ignored by the WMS)" if used_as_sent else "",
        )
        for batch in id_batches(missing):
            self._phase_params = {"id__in": ",".join(str(record_id) for record_id in batch)}
            yield from self.request_records(context)
        self._phase_params = {}

    @override
    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any] | None:
        record = self._flattener.flatten(row)
        known = self._known_properties
        if known is None:
            known = self._known_properties = frozenset(self.effective_schema.get("properties", {}))
        if not known.issuperset(record):
            self._announce([name for name in record if name not in known], record)
        return record

    @override
    def _generate_record_messages(
        self, record: dict[str, t.Any]
    ) -> t.Generator[singer.RecordMessage, None, None]:
        # The SDK's method (singer-sdk 0.54.9), without its per-property selection walk when the
        # catalog deselects nothing (the usual case; ~15 us per record) and without type
        # conformance, which RecordFlattener does.
        if self._selects_every_property is None:
            self._selects_every_property = all(selected for path, selected in self.mask.items() if path)
        if not self._selects_every_property:
            pop_deselected_record_properties(record, self.schema, self.mask)
        for stream_map in self.stream_maps:
            mapped_record = stream_map.transform(record)
            if mapped_record is not None:
                yield singer.RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped_record,
                    version=self._stream_version,
                    time_extracted=utc_now(),
                )

    @override
    @property
    def effective_schema(self) -> dict[str, t.Any]:
        schema = super().effective_schema
        if not self._announced:
            return schema
        return {**schema, "properties": {**schema.get("properties", {}), **self._announced}}

    def _announce(self, names: list[str], record: dict[str, t.Any]) -> None:
        """Keep fields describe/ did not announce: extend the schema and re-send SCHEMA."""
        for name in names:
            kind = "string" if name.endswith("_key") else kind_of_value(name, record[name])
            self._announced[name] = property_schema(kind)
        self.logger.warning(
            "%s: fields not announced by describe/ kept and added to the schema: %s",
            self.name,
            ", ".join(sorted(names)),
        )
        self.schema["properties"].update({name: self._announced[name] for name in names})
        self._known_properties = None
        self._flattener = RecordFlattener(self.schema)
        self._wms_tap.mapper.register_raw_stream_schema(self.name, self.effective_schema, self.primary_keys)
        self._stream_maps = None  # the SDK re-reads the maps (and their schema) from the mapper
        self._write_schema_message()


def _retry_after_seconds(exception: t.Any) -> float | None:
    response = getattr(exception, "response", None)
    header = response.headers.get("Retry-After") if response is not None else None
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        retry_at = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, (retry_at - datetime.now(UTC)).total_seconds())


def _short_error(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else f"{text[:200]}..."


def _describe_failure(exception: t.Any) -> str:
    response = getattr(exception, "response", None)
    if isinstance(exception, RetriableAPIError) and response is not None:
        return f"HTTP {response.status_code}"
    return type(exception).__name__ if exception is not None else "unknown"
