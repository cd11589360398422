"""API keys (bearer tokens, stored hashed) and per-key rate limits, on an empty installation:
the gate answers before any model is needed."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stylist.accounts.database import open_app_database, run_sync


def make_key(name: str = "shop-backend"):
    from stylist.accounts.api_keys import ApiKeyStore

    async def create():
        engine = await open_app_database()
        try:
            return await ApiKeyStore(engine).create(name)
        finally:
            await engine.dispose()

    return run_sync(create)


def revoke(key_id: str) -> None:
    from stylist.accounts.api_keys import ApiKeyStore

    async def work():
        engine = await open_app_database()
        try:
            await ApiKeyStore(engine).revoke(key_id)
        finally:
            await engine.dispose()

    run_sync(work)


def stored_rows():
    from sqlalchemy import select

    from stylist.accounts.schema import api_keys

    async def read():
        engine = await open_app_database()
        try:
            async with engine.connect() as conn:
                return list(await conn.execute(select(api_keys)))
        finally:
            await engine.dispose()

    return run_sync(read)


@pytest.fixture
def app_client():
    from stylist.api import create_app

    with TestClient(create_app()) as client:
        yield client


def test_a_key_is_stored_only_as_its_hash(isolated_settings):
    made = make_key()
    (row,) = stored_rows()
    assert row.token_sha256 == hashlib.sha256(made.token.encode()).hexdigest()
    assert made.token not in repr(tuple(row))
    assert made.token.startswith(f"stylist_{made.key.key_id}_")


def test_a_valid_key_passes_and_a_wrong_or_revoked_one_gets_401(isolated_settings):
    from stylist.api import create_app

    made = make_key()
    with TestClient(create_app()) as client:
        ok = client.get("/v1/items/1", headers={"Authorization": f"Bearer {made.token}"})
        assert ok.status_code == 503  # through the gate; nothing is built in this data dir
        forged = made.token[:-4] + "AAAA"
        bad = client.get("/v1/items/1", headers={"Authorization": f"Bearer {forged}"})
        assert bad.status_code == 401
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.headers["www-authenticate"].startswith("Bearer")
        assert "not valid" in bad.json()["detail"]
    revoke(made.key.key_id)
    with TestClient(create_app()) as client:  # a new process: nothing remembered
        gone = client.get("/v1/items/1", headers={"Authorization": f"Bearer {made.token}"})
    assert gone.status_code == 401


def test_a_key_is_required_when_the_settings_say_so(isolated_settings, monkeypatch):
    from stylist.api import create_app
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_API_REQUIRE_KEY", "true")
    get_settings.cache_clear()
    made = make_key()
    with TestClient(create_app()) as client:
        anonymous = client.get("/v1/search", params={"q": "red"})
        assert anonymous.status_code == 401
        assert "stylist api-keys create" in anonymous.json()["detail"]
        assert client.get("/health").status_code == 200  # liveness needs no key
        keyed = client.get(
            "/v1/search", params={"q": "red"}, headers={"Authorization": f"Bearer {made.token}"}
        )
    assert keyed.status_code == 503  # past the gate


def test_the_rate_limit_answers_429_with_retry_after_per_key(isolated_settings, monkeypatch):
    from stylist.api import create_app
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_API_RATE_BURST", "2")
    monkeypatch.setenv("STYLIST_API_RATE_PER_MINUTE", "6")  # one token every 10 s
    get_settings.cache_clear()
    first, second = make_key("one"), make_key("two")
    with TestClient(create_app()) as client:
        one = {"Authorization": f"Bearer {first.token}"}
        statuses = [client.get("/v1/items/1", headers=one).status_code for _ in range(3)]
        assert statuses == [503, 503, 429]
        refused = client.get("/v1/items/1", headers=one)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 10
        assert first.key.key_id in refused.json()["detail"]
        # Another key has its own bucket.
        other = client.get("/v1/items/1", headers={"Authorization": f"Bearer {second.token}"})
        assert other.status_code == 503


def test_the_token_bucket_refills_over_time():
    from stylist.api.rate_limit import RateLimiter

    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [0.0, 0.0]
    assert limiter.take("a") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.take("a") == 0.0


def test_api_keys_commands_create_list_and_revoke(isolated_settings):
    from stylist.cli import app

    runner = CliRunner()
    created = runner.invoke(app, ["api-keys", "create", "shop-backend"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    key_id = token.split("_")[1]
    listed = runner.invoke(app, ["api-keys", "list"])
    assert key_id in listed.output and "active" in listed.output
    assert token not in listed.output
    revoked = runner.invoke(app, ["api-keys", "revoke", key_id])
    assert revoked.exit_code == 0 and "Revoked" in revoked.output
    assert "revoked" in runner.invoke(app, ["api-keys", "list"]).output
    unknown = runner.invoke(app, ["api-keys", "revoke", "ffffffff"])
    assert unknown.exit_code == 1 and "no API key" in unknown.output
