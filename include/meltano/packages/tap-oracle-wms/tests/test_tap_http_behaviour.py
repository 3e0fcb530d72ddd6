"""HTTP error policy of the tap, against a scripted stub (each test names the failure it meets)."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from singer_run import run_tap
from stub_wms import CLIENT_ID, CLIENT_SECRET, PASSWORD, ScriptedAnswer, StubWMS, json_answer

ALL_IDS = list(range(1, 26))


def _ids(output: Any) -> list[int]:
    return [record["id"] for record in output.records["allocation"]]


def test_reads_every_record_once_following_next_page(stub_wms: StubWMS, stub_config: dict[str, Any]) -> None:
    output = run_tap(stub_config)

    assert _ids(output) == ALL_IDS
    first = stub_wms.list_requests()[0].query
    assert first["ordering"] == "id"
    assert first["page_mode"] == "sequenced"
    assert "empty_response_http_code" not in first
    assert len(stub_wms.list_requests()) == 3  # pages of 10, 10, 5


def test_404_on_a_list_is_an_empty_result(stub_wms: StubWMS, stub_config: dict[str, Any]) -> None:
    output = run_tap({**stub_config, "id_min": 1000})

    assert output.records["allocation"] == []
    assert output.schemas("allocation"), "the stream still announces its schema"


@pytest.mark.parametrize("status", [409, 429, 500, 502, 503])
def test_transient_statuses_are_retried_and_the_run_completes(
    stub_wms: StubWMS, stub_config: dict[str, Any], status: int
) -> None:
    stub_wms.script("list", json_answer(status, {"message": "try again"}), json_answer(status, {}))

    output = run_tap(stub_config)

    assert _ids(output) == ALL_IDS
    assert len(stub_wms.list_requests()) == 3 + 2


def test_retry_after_is_honoured(stub_wms: StubWMS, stub_config: dict[str, Any]) -> None:
    stub_wms.script("list", json_answer(429, {}, {"Retry-After": "1"}))

    started = time.monotonic()
    output = run_tap(stub_config)

    assert _ids(output) == ALL_IDS
    assert time.monotonic() - started >= 1.0


@pytest.mark.parametrize(
    "broken",
    [
        ScriptedAnswer(200, b'{"next_page": null, "results": [{"id": 1'),  # malformed JSON
        ScriptedAnswer(200, b'{"next_page": null, "res', declared_length=500),  # connection cut short
        ScriptedAnswer(200, b'{"detail": "not a list envelope"}'),
    ],
    ids=["malformed", "truncated", "no-results-list"],
)
def test_broken_bodies_are_retried(
    stub_wms: StubWMS, stub_config: dict[str, Any], broken: ScriptedAnswer
) -> None:
    stub_wms.script("list", broken)

    output = run_tap(stub_config)

    assert _ids(output) == ALL_IDS


def test_504_halves_the_page_size_for_the_rest_of_the_stream(
    stub_wms: StubWMS, stub_config: dict[str, Any]
) -> None:
    stub_wms.script("list", json_answer(504, {"message": "Gateway Timeout"}))

    output = run_tap({**stub_config, "page_size": 20})

    sizes = [int(seen.query["page_size"]) for seen in stub_wms.list_requests()]
    assert sizes == [20, 10, 10, 10]
    assert _ids(output) == ALL_IDS


def test_504_in_paged_mode_keeps_the_position_exact(stub_wms: StubWMS, stub_config: dict[str, Any]) -> None:
    config = {**stub_config, "page_mode": "paged", "page_size": 20}
    # The 504 hits page 2 of size 20 (records 21-40): it is re-asked as page 3 of size 10.
    stub_wms.script_when("page=2", json_answer(504, {}))

    output = run_tap(config)

    assert _ids(output) == ALL_IDS
    pages = [(seen.query.get("page", "1"), seen.query["page_size"]) for seen in stub_wms.list_requests()]
    assert pages == [("1", "20"), ("2", "20"), ("3", "10")]


def test_persistent_5xx_gives_up_after_max_retries(stub_wms: StubWMS, stub_config: dict[str, Any]) -> None:
    stub_wms.script("list", *[json_answer(503, {}) for _ in range(10)])

    with pytest.raises(Exception, match="503"):
        run_tap({**stub_config, "max_retries": 2})

    assert len(stub_wms.list_requests()) == 3


def test_basic_auth_rejected_fails_at_once_naming_the_settings(
    stub_wms: StubWMS, stub_config: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-password-never-printed"
    config = {**stub_config, "auth": {"type": "basic", "username": "stub_user", "password": wrong}}

    with pytest.raises(Exception, match=r"auth\.username.*auth\.password") as failure:
        run_tap(config)

    assert wrong not in str(failure.value)
    assert wrong not in caplog.text
    assert stub_wms.list_requests() == [], "a 401 on describe/ fails before any list request"


def test_403_names_the_missing_permission(stub_wms: StubWMS, stub_config: dict[str, Any]) -> None:
    stub_wms.script("list", json_answer(403, {"message": "Forbidden"}))

    with pytest.raises(Exception, match="lgfapi_read_access"):
        run_tap(stub_config)

    assert len(stub_wms.list_requests()) == 1


def _oauth_config(
    stub_wms: StubWMS, stub_config: dict[str, Any], secret: str = CLIENT_SECRET
) -> dict[str, Any]:
    auth = {
        "type": "oauth2",
        "token_url": stub_wms.token_url,
        "client_id": CLIENT_ID,
        "client_secret": secret,
    }
    return {**stub_config, "auth": auth}


def test_oauth2_token_is_fetched_once_and_reused(stub_wms: StubWMS, stub_config: dict[str, Any]) -> None:
    output = run_tap(_oauth_config(stub_wms, stub_config))

    assert _ids(output) == ALL_IDS
    assert stub_wms.tokens_issued == 1
    assert all(seen.authorization == "Bearer token-1" for seen in stub_wms.list_requests())


def test_oauth2_token_rejected_mid_run_is_refreshed_once(
    stub_wms: StubWMS, stub_config: dict[str, Any]
) -> None:
    original_answer = stub_wms.answer

    def answer(method: str, raw_path: str, authorization: str, body: bytes) -> ScriptedAnswer:
        if "cursor=" in raw_path and stub_wms.tokens_issued == 1:
            stub_wms.revoke_tokens()  # the token dies between page 1 and page 2
        return original_answer(method, raw_path, authorization, body)

    stub_wms.answer = answer  # type: ignore[method-assign]
    output = run_tap(_oauth_config(stub_wms, stub_config))

    assert _ids(output) == ALL_IDS
    assert stub_wms.tokens_issued == 2


def test_oauth2_bad_client_secret_fails_naming_the_settings(
    stub_wms: StubWMS, stub_config: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-client-secret-never-printed"
    caplog.set_level(logging.DEBUG)

    with pytest.raises(Exception, match=r"auth\.client_id.*auth\.client_secret") as failure:
        run_tap(_oauth_config(stub_wms, stub_config, secret=wrong))

    assert wrong not in str(failure.value)
    assert wrong not in caplog.text
    assert PASSWORD not in caplog.text


def test_describe_unavailable_falls_back_to_the_shipped_schema(
    stub_wms: StubWMS, stub_config: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    stub_wms.describe_status = 500

    output = run_tap(stub_config)

    assert _ids(output) == ALL_IDS
    assert "schema shipped with the tap" in caplog.text
    schema = output.schemas("allocation")[0]["schema"]
    assert "is_picking_flg" in schema["properties"], "the shipped allocation schema has every field"
