"""TapOracleWMS: the Singer tap for Oracle WMS Cloud lgfapi v10."""

from __future__ import annotations

import sys
import typing as t
from functools import cached_property

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from tap_oracle_wms.auth import AuthConfigError, build_authenticator
from tap_oracle_wms.discovery import SchemaSource
from tap_oracle_wms.origin import InsecureURLError, require_secure_url
from tap_oracle_wms.output import BufferedMsgSpecWriter
from tap_oracle_wms.streams import CORE_ENTITIES, STREAM_TYPES, SUPPORTED_ENTITIES
from tap_oracle_wms.window import ExtractionWindow, WindowConfigError

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from singer_sdk.authenticators import APIAuthenticatorBase

    from tap_oracle_wms.client import WMSStream

MAX_PAGE_SIZE = 1250
LGFAPI_PATH = "/wms/lgfapi/v10/entity/"


class TapOracleWMS(Tap):
    """Reads WMS entities through lgfapi: one stream per entity, windowed by `mod_ts` or by id."""

    name = "tap-oracle-wms"
    message_writer_class = BufferedMsgSpecWriter

    config_jsonschema = th.PropertiesList(
        th.Property(
            "base_url",
            th.StringType,
            required=True,
            description="Everything before /wms/lgfapi, e.g. https://<pod>.wms.ocs.oraclecloud.com/<env>",
        ),
        th.Property(
            "auth",
            th.ObjectType(
                th.Property("type", th.StringType, allowed_values=["basic", "oauth2"], default="basic"),
                th.Property("username", th.StringType, description="Basic auth user"),
                th.Property("password", th.StringType, secret=True, description="Basic auth password"),
                th.Property("token_url", th.StringType, description="OAuth2 token endpoint (IDCS/IAM)"),
                th.Property("client_id", th.StringType, description="OAuth2 client id"),
                th.Property("client_secret", th.StringType, secret=True, description="OAuth2 client secret"),
                th.Property("scope", th.StringType, description="OAuth2 scope"),
            ),
            required=True,
            description='{"type": "basic", "username", "password"} or '
            '{"type": "oauth2", "token_url", "client_id", "client_secret", "scope"}',
        ),
        th.Property(
            "entities",
            th.ArrayType(th.StringType(allowed_values=list(SUPPORTED_ENTITIES))),
            default=list(CORE_ENTITIES),
            description="Entities to extract, one stream each",
        ),
        th.Property("start_date", th.DateTimeType, description="Window start (mod_ts >=); none = full sync"),
        th.Property("end_date", th.DateTimeType, description="Window end, exclusive (mod_ts <)"),
        th.Property("lookback_minutes", th.IntegerType(minimum=0), default=0),
        th.Property("page_size", th.IntegerType(minimum=1, maximum=MAX_PAGE_SIZE), default=1000),
        th.Property("page_mode", th.StringType, allowed_values=["sequenced", "paged"], default="sequenced"),
        th.Property(
            "full_sync_mode",
            th.StringType,
            allowed_values=["records", "keys"],
            default="records",
            description="Full sync (no start_date): `records` reads whole records; `keys` reads id,mod_ts "
            "of every record and whole records only for versions not in known_versions_file",
        ),
        th.Property(
            "known_versions_file",
            th.StringType,
            description="Key-scan full sync: file of `id<TAB>mod_ts microseconds since epoch (UTC)` lines, "
            "the versions the warehouse already holds",
        ),
        th.Property("id_min", th.IntegerType, description="Lowest id to read, inclusive"),
        th.Property("id_max", th.IntegerType, description="Highest id to read, inclusive"),
        th.Property(
            "facility_code", th.StringType, description="Filter facility_id__code where the entity has it"
        ),
        th.Property(
            "company_code", th.StringType, description="Filter company_id__code where the entity has it"
        ),
        th.Property(
            "request_timeout", th.IntegerType(minimum=1), default=300, description="Seconds per request"
        ),
        th.Property("max_retries", th.IntegerType(minimum=0), default=5, description="Retries per request"),
        th.Property("retry_backoff_seconds", th.NumberType, default=1.0, description="First retry wait"),
        th.Property(
            "progress_interval_seconds", th.NumberType, default=30.0, description="Progress log interval"
        ),
    ).to_dict()

    @override
    def discover_streams(self) -> list[WMSStream]:
        entities = list(self.config.get("entities") or CORE_ENTITIES)
        unknown = sorted(set(entities) - set(SUPPORTED_ENTITIES))
        if unknown:
            msg = f"`entities` has unsupported names {unknown}; supported: {list(SUPPORTED_ENTITIES)}"
            raise ConfigValidationError(msg)
        try:
            require_secure_url(str(self.config.get("base_url") or ""), "base_url")
            ExtractionWindow.from_config(self.config)
            self.authenticator  # noqa: B018 - validates `auth` before any request
        except (WindowConfigError, AuthConfigError, InsecureURLError) as exc:
            raise ConfigValidationError(str(exc)) from None
        return [stream_type(tap=self) for stream_type in STREAM_TYPES if stream_type.entity in entities]

    def entity_url(self, entity: str) -> str:
        """Absolute URL of an entity's list endpoint (`""` gives the entity root)."""
        base = str(self.config["base_url"]).rstrip("/")
        return f"{base}{LGFAPI_PATH}{entity}/" if entity else f"{base}{LGFAPI_PATH}"

    @cached_property
    def authenticator(self) -> APIAuthenticatorBase:
        """One authenticator for the whole run, so streams share an OAuth2 token."""
        return build_authenticator(self.config.get("auth") or {})

    @cached_property
    def schema_source(self) -> SchemaSource:
        """describe/ fetcher with the per-run cache."""
        return SchemaSource(
            entity_url=self.entity_url,
            auth=self.authenticator,
            auth_type=str((self.config.get("auth") or {}).get("type") or "basic"),
            timeout=float(self.config.get("request_timeout") or 300),
            logger=self.logger,
            retry_wait_seconds=float(self.config.get("retry_backoff_seconds") or 1.0),
        )


if __name__ == "__main__":
    TapOracleWMS.cli()
