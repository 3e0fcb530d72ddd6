"""HTTP Basic and OAuth2 client-credentials bearer tokens."""

from __future__ import annotations

import base64
import time
from urllib.parse import urlencode

from sim_helpers import Api, basic, fetch

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

SCOPE = "urn:resource:fusion:scm:logistics:wms:lgfapi/"


def form(**fields: str) -> bytes:
    return urlencode(fields).encode()


def test_basic_auth_accepts_the_user_and_rejects_others(api: Api) -> None:
    url = api.url("facility/")
    assert fetch(url, auth=basic()).status == 200
    for auth in (None, basic(password="wrong"), basic(user="other"), "Basic !!!"):
        answer = fetch(url, auth=auth)
        assert answer.status == 401
        assert set(answer.json) == {"reference", "code", "message", "details"}
        assert "wms-secret" not in answer.body.decode()


def test_client_credentials_token_works_as_bearer(api: Api) -> None:
    client = "Basic " + base64.b64encode(b"wms-client:wms-client-secret").decode()
    answer = fetch(
        api.server.token_url,
        "POST",
        auth=client,
        data=form(grant_type="client_credentials", scope=SCOPE),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 200
    token = answer.json
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert fetch(api.url("facility/"), auth=f"Bearer {token['access_token']}").status == 200
    assert fetch(api.url("facility/"), auth="Bearer not-a-token").status == 401


def test_client_secret_in_form_and_token_errors(api: Api) -> None:
    ok = fetch(
        api.server.token_url,
        "POST",
        data=form(grant_type="client_credentials", client_id="wms-client", client_secret="wms-client-secret"),
    )
    assert ok.status == 200
    bad_client = fetch(
        api.server.token_url,
        "POST",
        data=form(grant_type="client_credentials", client_id="wms-client", client_secret="nope"),
    )
    assert (bad_client.status, bad_client.json["error"]) == (401, "invalid_client")
    bad_grant = fetch(
        api.server.token_url,
        "POST",
        data=form(grant_type="password", client_id="wms-client", client_secret="wms-client-secret"),
    )
    assert (bad_grant.status, bad_grant.json["error"]) == (400, "unsupported_grant_type")
    bad_scope = fetch(
        api.server.token_url,
        "POST",
        data=form(
            grant_type="client_credentials",
            client_id="wms-client",
            client_secret="wms-client-secret",
            scope="other",
        ),
    )
    assert (bad_scope.status, bad_scope.json["error"]) == (400, "invalid_scope")


def test_tokens_expire_after_the_ttl() -> None:
    sim = Simulator(SimulatorConfig(records=20, token_ttl_seconds=1))
    with SimulatorServer(sim) as server:
        token = fetch(
            server.token_url,
            "POST",
            data=form(
                grant_type="client_credentials", client_id="wms-client", client_secret="wms-client-secret"
            ),
        ).json["access_token"]
        url = f"{server.base_url}/wms/lgfapi/v10/entity/facility/"
        assert fetch(url, auth=f"Bearer {token}").status == 200
        time.sleep(1.05)
        assert fetch(url, auth=f"Bearer {token}").status == 401
