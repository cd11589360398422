"""Password accounts, the schema migration and the auth secret."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest
from sqlalchemy import inspect, text

from stylist.accounts.database import DatabaseUnavailable, database_url, open_app_database
from stylist.accounts.passwords import PasswordRejected, hash_password, verify_password
from stylist.accounts.schema import SCHEMA_VERSION, SchemaTooNew, migrate
from stylist.accounts.secret import ENV_VAR, ensure_auth_secret
from stylist.accounts.users import AccountError, AccountStore
from stylist.settings import StyleSettings

PASSWORD = "correct horse battery"


def test_passwords_are_hashed_salted_and_checked():
    first, second = hash_password(PASSWORD, rounds=4), hash_password(PASSWORD, rounds=4)
    assert PASSWORD not in first and first != second  # salted
    assert verify_password(PASSWORD, first)
    assert not verify_password("correct horse battery!", first)
    assert not verify_password(PASSWORD, None)  # no account
    assert not verify_password(PASSWORD, "not a bcrypt hash")
    with pytest.raises(PasswordRejected, match="at least 8"):
        hash_password("short")
    with pytest.raises(PasswordRejected, match="at most 72 bytes"):
        hash_password("é" * 40)


def test_accounts_add_verify_change_and_remove(engine, run):
    store = AccountStore(engine)
    run(store.add("Ada", PASSWORD))
    assert run(store.verify("ada", PASSWORD)) == "ada"  # names are case-insensitive
    assert run(store.verify(" ADA ", PASSWORD)) == "ada"
    assert run(store.verify("ada", "wrong password")) is None
    assert run(store.verify("nobody", PASSWORD)) is None
    assert run(store.verify("../etc", PASSWORD)) is None
    with pytest.raises(AccountError, match="already a user called ada"):
        run(store.add("ADA", PASSWORD))
    with pytest.raises(AccountError, match="1 to 64 characters"):
        run(store.add("no spaces please", PASSWORD))

    run(store.set_password("ada", "a new password"))
    assert run(store.verify("ada", PASSWORD)) is None
    assert run(store.verify("ada", "a new password")) == "ada"
    with pytest.raises(AccountError, match="no user called bob"):
        run(store.set_password("bob", PASSWORD))

    assert [a.name for a in run(store.list())] == ["ada"]
    removed = run(store.remove("ada", None))
    assert removed.name == "ada" and run(store.count()) == 0
    assert run(store.verify("ada", "a new password")) is None
    with pytest.raises(AccountError, match="no user called ada"):
        run(store.remove("ada", None))


def test_the_database_file_holds_no_password(engine, run, isolated_settings):
    run(AccountStore(engine).add("ada", PASSWORD))
    run(engine.dispose())
    for path in isolated_settings.data_dir.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_a_fresh_data_dir_gets_every_table_and_a_second_start_changes_nothing(
    run, isolated_settings
):
    assert not isolated_settings.app_database_path.exists()
    engine = run(open_app_database(isolated_settings))

    async def tables():
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            version = (await conn.execute(text("SELECT version FROM stylist_schema"))).scalar()
        return names, version

    names, version = run(tables())
    assert {"users", "threads", "steps", "elements", "feedbacks"} <= names
    assert {"stylist_accounts", "stylist_photo_owners"} <= names
    assert version == SCHEMA_VERSION
    assert run(migrate(engine)) == SCHEMA_VERSION  # already current: nothing to do
    run(engine.dispose())


def test_a_database_from_a_newer_release_is_refused_with_a_sentence(run, isolated_settings):
    engine = run(open_app_database(isolated_settings))
    run(engine.dispose())
    with sqlite3.connect(isolated_settings.app_database_path) as conn:
        conn.execute("UPDATE stylist_schema SET version = 99")
    with pytest.raises(SchemaTooNew, match="version 99, made by a newer Stylist"):
        run(open_app_database(isolated_settings))


def test_database_urls_and_an_unreachable_server(run, tmp_path):
    pg = StyleSettings(data_dir=tmp_path, database_url="postgresql://u:pw@db.example:5432/s")
    assert database_url(pg) == "postgresql+asyncpg://u:pw@db.example:5432/s"
    assert pg.postgres_url == "postgresql://u:pw@db.example:5432/s"
    default = StyleSettings(data_dir=tmp_path)
    assert database_url(default).startswith("sqlite+aiosqlite:///")
    assert default.postgres_url is None
    with pytest.raises(DatabaseUnavailable, match="SQLite or PostgreSQL, not mysql"):
        database_url(StyleSettings(data_dir=tmp_path, database_url="mysql://x@y/z"))
    # Nothing listens on port 1: a sentence naming the database (password hidden).
    down = StyleSettings(data_dir=tmp_path, database_url="postgresql://u:pw@127.0.0.1:1/s")
    with pytest.raises(DatabaseUnavailable) as err:
        run(open_app_database(down))
    assert "127.0.0.1:1" in str(err.value) and "pw" not in str(err.value)
    assert "STYLIST_DATABASE_URL" in str(err.value)


def test_the_auth_secret_is_made_once_and_kept_private(isolated_settings, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    key = ensure_auth_secret(isolated_settings)
    path = isolated_settings.auth_secret_path
    assert path.read_text().strip() == key and len(key) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.delenv(ENV_VAR)
    assert ensure_auth_secret(isolated_settings) == key  # the same key after a restart
    monkeypatch.setenv(ENV_VAR, "from-the-environment")
    assert ensure_auth_secret(isolated_settings) == "from-the-environment"
    assert os.environ[ENV_VAR] == "from-the-environment"
