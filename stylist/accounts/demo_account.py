"""The demo's first-run account, so that `make demo` stays one command with history on.

On the first run with no account at all, `stylist demo` creates user `demo` with a random
password, keeps that password in the data dir (`demo-password`, readable by its owner only) and
prints both; later runs print them again while that password still works. Someone who sets
their own accounts (or changes demo's password) is never shown a stale one.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from stylist.accounts.database import open_app_database, run_sync
from stylist.accounts.users import AccountStore
from stylist.atomic import atomic_write_text
from stylist.settings import StyleSettings, get_settings

DEMO_USER = "demo"


@dataclass
class DemoLogin:
    name: str
    password: str | None  # None: accounts exist, and the demo password is not (or no longer) one
    created: bool = False


def ensure_demo_account(settings: StyleSettings | None = None) -> DemoLogin:
    s = settings or get_settings()
    password_file = s.data_dir / "demo-password"

    async def ensure() -> DemoLogin:
        engine = await open_app_database(s)
        try:
            store = AccountStore(engine)
            if await store.count() == 0:
                password = secrets.token_urlsafe(12)
                await store.add(DEMO_USER, password)
                atomic_write_text(password_file, password + "\n")
                os.chmod(password_file, 0o600)
                return DemoLogin(DEMO_USER, password, created=True)
            if password_file.is_file():
                password = password_file.read_text().strip()
                if await store.verify(DEMO_USER, password):
                    return DemoLogin(DEMO_USER, password)
            return DemoLogin(DEMO_USER, None)
        finally:
            await engine.dispose()

    return run_sync(ensure)
