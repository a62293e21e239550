"""Keys are shown once, stored hashed, scoped, and revocable."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import KeyMaker
from yangcheng.platform import auth
from yangcheng.platform.store import ApiKey

INVOKE = "/v1/capabilities/finance.identity.documents:invoke"
BODY = {"mobile": "13800138000"}


def test_secret_hash_verifies_only_the_same_secret() -> None:
    stored = auth.hash_secret("correct horse")
    assert stored.startswith("scrypt$")
    assert "correct horse" not in stored
    assert auth.verify_secret("correct horse", stored)
    assert not auth.verify_secret("correct horsf", stored)
    assert auth.hash_secret("correct horse") != stored  # salted
    assert not auth.verify_secret("x", "md5$abc")


def test_raw_key_is_not_stored(app, make_key: KeyMaker) -> None:
    raw = make_key("finance")
    with app.state.platform.db.session() as s:
        key = s.scalar(select(ApiKey))
        assert key is not None
        assert raw not in (key.key_hash, key.prefix, key.name)
        assert raw.split("_", 2)[2] not in key.key_hash  # the secret may itself hold "_"
        assert raw.startswith(f"yc_{key.prefix}_")


def test_a_prefix_of_digits_alone_is_found_as_a_prefix_not_an_id(app, make_key: KeyMaker) -> None:
    """About 1 key in 280 has a prefix with no hex letter; revoking it by prefix must work."""
    make_key("finance")
    make_key("finance")
    with app.state.platform.db.session() as s:
        first, second = s.scalars(select(ApiKey).order_by(ApiKey.id)).all()
        second.prefix = "000000000001"  # digits, and the other key's id read as a number
        s.flush()
        assert auth.revoke_key(s, "000000000001") is second
        assert second.revoked_at is not None and first.revoked_at is None
        assert auth.revoke_key(s, str(first.id)) is first  # no such prefix: the id
        assert auth.revoke_key(s, "999999999999") is None


def test_unknown_scope_is_refused(app) -> None:
    with pytest.raises(auth.InvalidScope, match="'payments'"), app.state.platform.db.session() as s:
        auth.create_key(s, email="a@b.cn", organisation="O", scopes="finance,payments")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic abc"},
        {"X-API-Key": "yc_000000000000_" + "a" * 43},
    ],
)
def test_calls_without_a_valid_key_get_401(client: TestClient, headers: dict[str, str]) -> None:
    r = client.post(INVOKE, json=BODY, headers=headers)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_tampered_secret_with_a_real_prefix_gets_401(
    client: TestClient, make_key: KeyMaker
) -> None:
    raw = make_key("finance")
    tampered = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    assert client.post(INVOKE, json=BODY, headers={"X-API-Key": tampered}).status_code == 401
    assert client.post(INVOKE, json=BODY, headers={"X-API-Key": raw}).status_code == 200


def test_scope_is_enforced_per_capability_group(client: TestClient, make_key: KeyMaker) -> None:
    education_only = make_key("education", email="teacher@school.example.cn")
    r = client.post(INVOKE, json=BODY, headers={"Authorization": f"Bearer {education_only}"})
    assert r.status_code == 403
    assert "finance" in r.json()["detail"]
    finance = make_key("finance", email="analyst@bank.example.cn")
    assert (
        client.post(INVOKE, json=BODY, headers={"Authorization": f"Bearer {finance}"}).status_code
        == 200
    )


def test_anonymous_access_is_limited_to_health_docs_and_catalog(client: TestClient) -> None:
    for path in ("/health", "/docs", "/openapi.json", "/v1/catalog"):
        assert client.get(path).status_code == 200, path
    for path in ("/v1/stats", "/v1/usage", "/v1/me", "/v1/jobs", "/v1/keys"):
        assert client.get(path).status_code == 401, path


def test_key_management_over_http(client: TestClient, make_key: KeyMaker, admin_headers) -> None:
    r = client.post(
        "/v1/keys",
        json={
            "email": "Ops@Hospital.example.cn",
            "organisation": "City Hospital",
            "scopes": ["radiotherapy", "jobs"],
        },
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    created = r.json()
    new_key = created["key"]
    assert created["developer_email"] == "ops@hospital.example.cn"
    assert created["scopes"] == ["radiotherapy", "jobs"]

    listed = client.get("/v1/keys", headers=admin_headers).json()
    assert created["id"] in [k["id"] for k in listed]
    assert all("key" not in k and "key_hash" not in k for k in listed)

    me = client.get("/v1/me", headers={"Authorization": f"Bearer {new_key}"}).json()
    assert me["organisation"] == "City Hospital"

    # a non-admin key may not manage keys
    assert client.get("/v1/keys", headers={"Authorization": f"Bearer {new_key}"}).status_code == 403

    revoked = client.delete(f"/v1/keys/{created['id']}", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {new_key}"}).status_code == 401
    assert client.delete("/v1/keys/999999", headers=admin_headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "no-at-sign", "organisation": "O", "scopes": ["finance"]}, "email"),
        ({"email": "a@b.cn", "organisation": "O", "scopes": ["nope"]}, "scopes"),
        ({"email": "a@b.cn", "organisation": "O", "scopes": []}, "scopes"),
        (
            {"email": "a@b.cn", "organisation": "O", "scopes": ["finance"], "daily_quota": -1},
            "daily_quota",
        ),
    ],
)
def test_bad_key_requests_name_the_field(client: TestClient, admin_headers, body, field) -> None:
    r = client.post("/v1/keys", json=body, headers=admin_headers)
    assert r.status_code == 422
    assert any(field in d["loc"] for d in r.json()["detail"])


def test_repeated_wrong_secrets_for_a_prefix_are_throttled(app, make_key: KeyMaker) -> None:
    from yangcheng.platform.auth import Authenticator

    raw = make_key("finance")
    authenticator = Authenticator(max_failures_per_minute=3)
    wrong = raw[:-4] + "zzzz"
    with app.state.platform.db.session() as s:
        assert [authenticator.authenticate(s, wrong) for _ in range(3)] == [None] * 3
        # the right key is now refused too until the minute passes: no scrypt runs
        assert authenticator.authenticate(s, raw) is None
        assert Authenticator().authenticate(s, raw) is not None
