"""A WMS (or a proxy in front of it) that sends the tap elsewhere gets no credential, and hostile
record content lands as data.

The WMS credential goes with every request (the Singer SDK sets the session's auth), so a `next_page`
link is followed only to the configured base URL's scheme, host and port; the WMS and its OAuth2
token endpoint must be HTTPS except on loopback addresses. A second local server records whatever
reaches it.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from singer_sdk.exceptions import ConfigValidationError
from wms_reliability.hostile import (
    HOSTILE_FIELD,
    NEXT_PAGE_CASES,
    next_page_case,
    records_land_as_data,
)

from tap_oracle_wms.auth import AuthConfigError, build_authenticator
from tap_oracle_wms.client import PayloadCache
from tap_oracle_wms.origin import InsecureURLError, require_secure_url
from tap_oracle_wms.pagination import ForeignNextPageError, NextPageLinkPaginator
from tap_oracle_wms.tap import TapOracleWMS

BASE = "https://tenant.wms.ocs.oraclecloud.com/prod/wms/lgfapi/v10/entity/"


def _paginator_answering(next_page: str) -> tuple[NextPageLinkPaginator, Any]:
    payloads = PayloadCache()
    response = requests.Response()
    payloads.put(response, {"next_page": next_page, "results": []})
    return NextPageLinkPaginator(payloads, BASE), response


@pytest.mark.parametrize(
    "link",
    [
        "http://tenant.wms.ocs.oraclecloud.com/prod/wms/lgfapi/v10/entity/allocation/?cursor=x",
        "https://evil.example/prod/wms/lgfapi/v10/entity/allocation/?cursor=x",
        "https://tenant.wms.ocs.oraclecloud.com:8443/prod/wms/lgfapi/v10/entity/allocation/?cursor=x",
        "https://tenant.wms.ocs.oraclecloud.com.evil.example/prod/?cursor=x",
        "//evil.example/prod/?cursor=x",
    ],
    ids=["plain-http", "other-host", "other-port", "suffix-host", "scheme-relative"],
)
def test_a_next_page_leading_elsewhere_fails_naming_both_places(link: str) -> None:
    paginator, response = _paginator_answering(link)
    with pytest.raises(ForeignNextPageError) as refused:
        paginator.get_next_url(response)
    assert "https://tenant.wms.ocs.oraclecloud.com:443" in str(refused.value)
    assert link in str(refused.value)


@pytest.mark.parametrize(
    "link",
    [
        "https://tenant.wms.ocs.oraclecloud.com/prod/wms/lgfapi/v10/entity/allocation/?cursor=x",
        "https://TENANT.wms.ocs.oraclecloud.com:443/prod/wms/lgfapi/v10/entity/allocation/?page=2",
    ],
)
def test_a_next_page_on_the_same_origin_is_followed(link: str) -> None:
    paginator, response = _paginator_answering(link)
    assert paginator.get_next_url(response) == link


@pytest.mark.parametrize(
    "url",
    ["https://tenant.example/prod", "http://127.0.0.1:8080/env", "http://localhost:9/e", "http://[::1]:9/e"],
)
def test_https_or_a_loopback_address_is_accepted(url: str) -> None:
    assert require_secure_url(url, "base_url") == url


@pytest.mark.parametrize(
    "url",
    ["http://tenant.example/prod", "http://10.0.0.5/prod", "ftp://tenant.example", "tenant.example/prod"],
)
def test_any_other_url_is_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(InsecureURLError, match=r"`base_url` must"):
        require_secure_url(url, "base_url")


def test_the_tap_refuses_a_plain_http_wms_before_any_request(stub_config: dict[str, Any]) -> None:
    config = {**stub_config, "base_url": "http://tenant.wms.example.com/prod"}
    with pytest.raises(ConfigValidationError, match=r"`base_url` must use https://"):
        TapOracleWMS(config=config, parse_env_config=False).discover_streams()


def test_the_tap_refuses_a_plain_http_token_endpoint() -> None:
    auth = {"type": "oauth2", "token_url": "http://idcs.example.com/oauth2/v1/token", "client_id": "c"}
    with pytest.raises(AuthConfigError, match=r"`auth\.token_url` must use https://"):
        build_authenticator({**auth, "client_secret": "s"})


@pytest.mark.parametrize("case", NEXT_PAGE_CASES, ids=[case[0] for case in NEXT_PAGE_CASES])
def test_no_request_with_a_credential_leaves_for_a_foreign_next_page(
    wms_simulator: Any, case: tuple[str, str, bool, str, str]
) -> None:
    result = next_page_case(wms_simulator, case)
    assert result.leaked == 0
    assert result.requests_received == 0
    assert result.as_expected, result.detail


def test_a_hostile_field_name_and_values_land_as_data(tmp_path: Any) -> None:
    result = records_land_as_data(f"duckdb:///{tmp_path / 'hostile.duckdb'}")
    assert result.executed == 0, result.detail
    assert result.as_expected, result.detail
    assert "note_drop_table_canary" in result.detail, f"{HOSTILE_FIELD!r} became a plain column name"
