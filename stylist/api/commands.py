"""`stylist api-keys create|list|revoke`: keys for programs that call the HTTP API.

The token is printed once, at creation; only its sha256 is stored in the app database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

T = TypeVar("T")

api_keys_app = typer.Typer(
    help="API keys for programs calling `stylist serve`.", no_args_is_help=True
)


def _with_keys(work: Callable[..., Awaitable[T]]) -> T:
    """Run `work(key store, account store)` on the app database; its errors as sentences."""
    from stylist.accounts.api_keys import ApiKeyError, ApiKeyStore
    from stylist.accounts.database import DatabaseUnavailable, open_app_database, run_sync
    from stylist.accounts.schema import SchemaTooNew
    from stylist.accounts.users import AccountError, AccountStore

    async def run() -> T:
        engine = await open_app_database()
        try:
            return await work(ApiKeyStore(engine), AccountStore(engine))
        finally:
            await engine.dispose()

    try:
        return run_sync(run)
    except (ApiKeyError, AccountError, DatabaseUnavailable, SchemaTooNew) as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from None


USER_OPTION = typer.Option(
    None, "--user", help="Act for this account: its wardrobe (`/v1/wardrobe`, MCP wardrobe tools)."
)


def user_id_of(account: str) -> str:
    """The app database's id of an account, for `--user`; an unknown one is a sentence."""

    async def find(_keys, accounts):
        return await accounts.user_id_of(account)

    return _with_keys(find)


@api_keys_app.command("create")
def create_key(
    name: str = typer.Argument(..., help="Which program uses it, e.g. shop-backend."),
    user: str | None = USER_OPTION,
):
    """Make a key; prints its token once (send it as `Authorization: Bearer <token>`)."""

    async def create(keys, accounts):
        user_id = await accounts.user_id_of(user) if user is not None else None
        return await keys.create(name, user_id)

    made = _with_keys(create)
    acting = f", acting for {user.strip().lower()}" if user is not None else ""
    typer.echo(
        f"Created API key {made.key.key_id} ({made.key.name}{acting}). Its token, shown only now:"
    )
    typer.echo(made.token)


@api_keys_app.command("list")
def list_keys() -> None:
    """Every key: id, name, when it was made, whether it is revoked."""
    keys = _with_keys(lambda store, _accounts: store.list())
    if not keys:
        typer.echo("No API keys yet; `stylist api-keys create NAME` makes one.")
    for key in keys:
        state = "active" if key.active else f"revoked {key.revoked_at}"
        acting = f"  acts for user id {key.user_id}" if key.user_id else ""
        typer.echo(f"{key.key_id}  {key.name:24}  created {key.created_at}  {state}{acting}")


@api_keys_app.command("revoke")
def revoke_key(key_id: str = typer.Argument(..., help="The key id (`stylist api-keys list`).")):
    """Revoke a key: requests with its token are refused from then on (within seconds)."""
    key = _with_keys(lambda store, _accounts: store.revoke(key_id))
    typer.echo(f"Revoked API key {key.key_id} ({key.name}).")


def register(app: typer.Typer) -> None:
    app.add_typer(api_keys_app, name="api-keys")

    @app.command()
    def mcp(
        http: bool = typer.Option(False, "--http", help="Streamable HTTP instead of stdio."),
        host: str = typer.Option("127.0.0.1", "--host", help="Interface (with --http)."),
        port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port (with --http)."),
        user: str | None = USER_OPTION,
    ) -> None:
        """Serve the stylist's tools over MCP (stdio for desktop clients, or --http); with
        --user ACCOUNT also the wardrobe tools, acting for that account."""
        from stylist.mcp_server import serve

        user_id = user_id_of(user) if user is not None else None
        serve("http" if http else "stdio", host=host, port=port, user_id=user_id)
