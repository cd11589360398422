"""/v1/wardrobe: the wardrobe of the user an API key acts for (`api-keys create --user`), on a
private copy of the demo installation (the routes write to its app database and Chroma)."""

from __future__ import annotations

import base64
import json
import sqlite3

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stylist.accounts.database import open_app_database, run_sync

PASSWORD = "correct horse battery"


def add_account(name: str) -> None:
    from stylist.accounts.users import AccountStore

    async def add():
        engine = await open_app_database()
        try:
            await AccountStore(engine).add(name, PASSWORD)
        finally:
            await engine.dispose()

    run_sync(add)


def cli(*args: str):
    from stylist.cli import app

    return CliRunner().invoke(app, list(args))


def key_for(user: str | None, name: str = "shop-backend") -> dict[str, str]:
    """Bearer headers of a key made by the CLI, acting for `user` (or for no one)."""
    result = cli("api-keys", "create", name, *(["--user", user] if user else []))
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}


def photo_of(world, n: int = 0, **attributes) -> bytes:
    from stylist.catalog.store import get_catalog

    rows = get_catalog(world).items
    for attribute, value in attributes.items():
        rows = rows[rows[attribute] == value]
    with open(rows.iloc[n]["image"], "rb") as f:
        return f.read()


@pytest.fixture
def client(own_demo_world):
    from stylist.api import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


def save(client, headers, photo: bytes, **form):
    if "corrections" in form:
        form["corrections"] = json.dumps(form["corrections"])
    return client.post(
        "/v1/wardrobe", headers=headers, files={"photo": ("p.jpg", photo, "image/jpeg")}, data=form
    )


def test_a_bound_key_saves_lists_patches_and_deletes(own_demo_world, client):
    add_account("alice")
    alice = key_for("alice")
    made = save(
        client, alice, photo_of(own_demo_world), name="navy blazer", corrections={"colour": "Black"}
    )
    assert made.status_code == 201, made.text
    item = made.json()
    assert item["name"] == "navy blazer"
    assert item["attributes"]["baseColour"] == "Black" and "baseColour" in item["corrected"]
    assert set(item["attributes"]) >= {"gender", "articleType", "season", "usage"}  # tagged

    encoded = base64.b64encode(photo_of(own_demo_world, 3)).decode()
    second = client.post("/v1/wardrobe", headers=alice, data={"photo_base64": encoded})
    assert second.status_code == 201, second.text

    listed = client.get("/v1/wardrobe", headers=alice).json()["items"]
    assert {i["id"] for i in listed} == {item["id"], second.json()["id"]}
    black = client.get("/v1/wardrobe", headers=alice, params={"baseColour": "Black"}).json()
    assert item["id"] in [i["id"] for i in black["items"]]
    assert all(i["attributes"]["baseColour"] == "Black" for i in black["items"])
    assert "Saved the photo" in item.pop("summary")
    assert client.get(f"/v1/wardrobe/{item['id']}", headers=alice).json() == item

    patched = client.patch(
        f"/v1/wardrobe/{item['id']}",
        headers=alice,
        json={"name": "interview blazer", "corrections": {"season": "Winter"}},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "interview blazer"
    assert patched.json()["attributes"]["season"] == "Winter"
    again = client.get(f"/v1/wardrobe/{item['id']}", headers=alice).json()
    assert again["name"] == "interview blazer"

    assert client.delete(f"/v1/wardrobe/{item['id']}", headers=alice).status_code == 200
    gone = client.get(f"/v1/wardrobe/{item['id']}", headers=alice)
    assert gone.status_code == 404
    assert [i["id"] for i in client.get("/v1/wardrobe", headers=alice).json()["items"]] == [
        second.json()["id"]
    ]

    not_a_photo = save(client, alice, b"%PDF-1.7 not a photo")
    assert not_a_photo.status_code == 400 and "Traceback" not in not_a_photo.text


def test_a_key_without_a_user_gets_403_with_a_sentence(own_demo_world, client):
    plain = key_for(None)
    for method, path in (
        ("GET", "/v1/wardrobe"),
        ("GET", "/v1/wardrobe/1"),
        ("DELETE", "/v1/wardrobe/1"),
    ):
        response = client.request(method, path, headers=plain)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "does not act for a user" in response.json()["detail"]
        assert "--user" in response.json()["detail"]
    assert client.get("/v1/wardrobe").status_code == 403  # anonymous: no one's wardrobe either


def test_another_users_key_cannot_read_patch_or_delete_an_item(own_demo_world, client):
    add_account("alice")
    add_account("bob")
    alice, bob = key_for("alice"), key_for("bob", "bobs-app")
    item = save(client, alice, photo_of(own_demo_world), name="navy blazer").json()
    path = f"/v1/wardrobe/{item['id']}"
    nowhere = f"/v1/wardrobe/{item['id'] + 1000}"

    assert client.get("/v1/wardrobe", headers=bob).json()["items"] == []
    for method, kwargs in (("GET", {}), ("PATCH", {"json": {"name": "mine"}}), ("DELETE", {})):
        theirs = client.request(method, path, headers=bob, **kwargs)
        missing = client.request(method, nowhere, headers=bob, **kwargs)
        assert theirs.status_code == missing.status_code == 404, theirs.text
        # The same sentence as for an id that does not exist: nothing says it is someone's.
        assert theirs.json()["detail"] == missing.json()["detail"].replace(
            str(item["id"] + 1000), str(item["id"])
        )
    assert client.get(path, headers=alice).json()["name"] == "navy blazer"  # untouched


def test_an_unknown_account_is_a_sentence(own_demo_world):
    result = cli("api-keys", "create", "shop", "--user", "nobody")
    assert result.exit_code == 1
    assert "There is no user called nobody" in result.output
    assert "Traceback" not in result.output


def test_a_schema_v3_database_migrates_and_its_keys_still_work(isolated_settings):
    from sqlalchemy import create_engine

    from stylist.accounts.api_keys import token_hash
    from stylist.accounts.schema import api_keys, metadata

    path = isolated_settings.app_database_path
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine, tables=[t for t in metadata.sorted_tables if t is not api_keys])
    engine.dispose()
    token = "stylist_0123abcd_" + "A" * 43
    with sqlite3.connect(path) as db:  # the table as versions 2 and 3 made it
        db.execute(
            "CREATE TABLE stylist_api_keys (key_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
            "token_sha256 TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT)"
        )
        db.execute(
            "INSERT INTO stylist_api_keys VALUES ('0123abcd', 'old-app', ?, '2026-01-01', NULL)",
            (token_hash(token),),
        )
        db.execute("DELETE FROM stylist_schema")
        db.execute("INSERT INTO stylist_schema VALUES (3)")

    from stylist.api import create_app

    with TestClient(create_app()) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/v1/items/1", headers=headers).status_code == 503  # past the gate
        no_user = client.get("/v1/wardrobe", headers=headers)
        assert no_user.status_code == 403, no_user.text
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM stylist_schema").fetchall() == [(4,)]
        assert db.execute("SELECT user_id FROM stylist_api_keys").fetchall() == [(None,)]
    listed = cli("api-keys", "list")
    assert listed.exit_code == 0 and "old-app" in listed.output and "active" in listed.output


def test_removing_the_user_removes_the_keys_acting_for_them(own_demo_world, client):
    add_account("alice")
    alice = key_for("alice")
    key_for(None, "catalog-app")
    assert client.get("/v1/wardrobe", headers=alice).status_code == 200
    assert cli("users", "remove", "alice", "--yes").exit_code == 0
    listed = cli("api-keys", "list").output
    assert "shop-backend" not in listed and "catalog-app" in listed


def test_version_4_adds_the_column_on_postgresql_too(tmp_path, postgres_url):
    from sqlalchemy import Column, MetaData, Table, Text, inspect, select

    from stylist.accounts.database import database_url, make_engine
    from stylist.accounts.schema import api_keys, metadata, migrate, schema_version
    from stylist.settings import StyleSettings

    engine = make_engine(database_url(StyleSettings(data_dir=tmp_path, database_url=postgres_url)))
    old_keys = Table(  # stylist_api_keys as versions 2 and 3 made it
        api_keys.name,
        MetaData(),
        *(
            Column(c.name, Text, primary_key=c.primary_key)
            for c in api_keys.c
            if c.name != "user_id"
        ),
    )

    async def at_version_3():
        async with engine.begin() as conn:
            await conn.run_sync(
                lambda sync: metadata.create_all(
                    sync, tables=[t for t in metadata.sorted_tables if t is not api_keys]
                )
            )
            await conn.run_sync(old_keys.create)
            await conn.execute(
                old_keys.insert().values(
                    key_id="0123abcd", name="old-app", token_sha256="x", created_at="2026"
                )
            )
            await conn.execute(schema_version.insert().values(version=3))

    async def after_migrating():
        assert await migrate(engine) == 3
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns(api_keys.name)}
            )
            rows = list(await conn.execute(select(api_keys.c.name, api_keys.c.user_id)))
            version = (await conn.execute(select(schema_version.c.version))).scalar()
        await engine.dispose()
        return columns, rows, version

    async def both():  # one event loop: the engine's pooled connections belong to it
        await at_version_3()
        return await after_migrating()

    columns, rows, version = run_sync(both)
    assert "user_id" in columns and [tuple(r) for r in rows] == [("old-app", None)]
    assert version == 4
