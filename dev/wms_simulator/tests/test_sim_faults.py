"""Fault injection: status faults, dropped connections, truncated and malformed bodies, slow answers."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

import pytest
from sim_helpers import Api, basic, fetch

from wms_simulator import FaultRule


@pytest.mark.parametrize("kind", ["500", "409"])
def test_status_faults_answer_the_error_envelope(api: Api, kind: str) -> None:
    api.sim.faults.add(FaultRule(kind=kind, entity="order_hdr", max_count=1))
    answer = api.get("order_hdr/")
    assert answer.status == int(kind)
    assert set(answer.json) == {"reference", "code", "message", "details"}
    assert api.get("order_hdr/").status == 200  # max_count reached


@pytest.mark.parametrize("kind", ["502", "503", "504"])
def test_gateway_faults_answer_html(api: Api, kind: str) -> None:
    api.sim.faults.add(FaultRule(kind=kind, path_regex=r"/entity/item/?$"))
    answer = api.get("item/")
    assert answer.status == int(kind)
    assert answer.headers["Content-Type"] == "text/html"
    assert api.get("facility/").status == 200  # other paths unaffected


def test_429_carries_retry_after_and_first_n_limits_it(api: Api) -> None:
    api.sim.faults.add(FaultRule(kind="429", retry_after=7, first_n=2))
    statuses = [api.get("facility/") for _ in range(3)]
    assert [a.status for a in statuses] == [429, 429, 200]
    assert statuses[0].headers["Retry-After"] == "7"


def _raw_get(api: Api, path: str) -> http.client.HTTPResponse:
    parts = urlsplit(api.url(path))
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", parts.path, headers={"Authorization": basic()})
    return connection.getresponse()


def test_connection_reset(api: Api) -> None:
    api.sim.faults.add(FaultRule(kind="reset", max_count=1))
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        _raw_get(api, "facility/").read()
    assert api.get("facility/").status == 200
    assert [served.status for served in api.sim.requests] == [0, 200]


def test_truncated_body_is_shorter_than_its_content_length(api: Api) -> None:
    api.sim.faults.add(FaultRule(kind="truncated", max_count=1))
    response = _raw_get(api, "facility/")
    with pytest.raises(http.client.IncompleteRead):
        response.read()


def test_malformed_body_is_not_json(api: Api) -> None:
    api.sim.faults.add(FaultRule(kind="malformed", max_count=1))
    answer = api.get("facility/")
    assert answer.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.body)


def test_slow_answers_after_the_delay(api: Api) -> None:
    api.sim.faults.add(FaultRule(kind="slow", delay_seconds=0.3, max_count=1))
    started = time.monotonic()
    assert api.get("facility/").status == 200
    assert time.monotonic() - started >= 0.3


def test_probability_is_seeded_and_reproducible(api: Api) -> None:
    def run() -> list[int]:
        api.sim.faults.clear()
        api.sim.faults.add(FaultRule(kind="500", probability=0.5))
        return [api.get("company/").status for _ in range(12)]

    first, second = run(), run()
    assert first == second
    assert set(first) == {200, 500}


def test_faults_can_be_added_over_http(api: Api) -> None:
    control = api.server.root + "/_sim/faults"
    body = json.dumps({"kind": "503", "entity": "company", "max_count": 1}).encode()
    assert fetch(control, "POST", data=body).status == 201
    assert api.get("company/").status == 503
    assert fetch(control, "POST", data=b'{"kind": "418"}').status == 400
    assert fetch(control, "DELETE").status == 200
    assert api.sim.faults.rules == []


def test_invalid_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        FaultRule(kind="404")


def test_401_fault_answers_the_invalid_credentials_envelope(api: Api) -> None:
    api.sim.faults.add(FaultRule(kind="401", entity="order_hdr", max_count=1))
    answer = api.get("order_hdr/")
    assert answer.status == 401
    assert answer.json["code"] == "NOT_AUTHENTICATED"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert api.get("order_hdr/").status == 200


def _bearer(api: Api) -> str:
    body = b"grant_type=client_credentials"
    config = api.sim.config
    auth = basic(config.oauth_client_id, config.oauth_client_secret)
    answer = fetch(api.server.token_url, "POST", auth=auth, data=body)
    assert answer.status == 200, answer.body
    return "Bearer " + str(answer.json["access_token"])


def test_expired_token_fault_expires_issued_tokens_and_a_new_token_works(api: Api) -> None:
    token = _bearer(api)
    assert fetch(api.url("facility/"), auth=token).status == 200
    api.sim.faults.add(FaultRule(kind="expired_token", path_regex="/entity/facility/", max_count=1))

    expired = fetch(api.url("facility/"), auth=token)
    assert expired.status == 401
    assert expired.json["message"] == "Invalid or expired bearer token."
    assert fetch(api.url("facility/"), auth=token).status == 401  # it stays expired
    assert fetch(api.url("facility/"), auth=_bearer(api)).status == 200
    assert api.get("facility/").status == 200  # Basic is unaffected


def test_query_regex_hits_only_large_pages(api: Api) -> None:
    api.sim.faults.add(FaultRule(kind="504", query_regex=r"(^|&)page_size=\d{3,}"))
    assert api.get("facility/", page_size=100).status == 504
    assert api.get("facility/", page_size=50).status == 200
