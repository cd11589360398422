"""`stylist users add|list|remove|forget|set-password` and `stylist feedback export`.

`remove` and `forget` both delete the user from every store (`stylist.agent.forget`); `forget`
prints what each store held.

Passwords are typed at a hidden prompt (twice), or read from the first line of standard input
with --password-stdin (for scripts); they are never echoed, logged or put on a command line.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer

T = TypeVar("T")

users_app = typer.Typer(help="Accounts that can log in to the chat.", no_args_is_help=True)
feedback_app = typer.Typer(help="Thumbs up / down on the chat's answers.", no_args_is_help=True)

PASSWORD_STDIN = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of standard input."
)


def _with_database(work: Callable[..., Awaitable[T]]) -> T:
    """Open the app database (migrating it), run `work(engine)`, close it; errors as sentences."""
    from stylist.accounts.database import DatabaseUnavailable, open_app_database, run_sync
    from stylist.accounts.passwords import PasswordRejected
    from stylist.accounts.schema import SchemaTooNew
    from stylist.accounts.users import AccountError

    async def run() -> T:
        engine = await open_app_database()
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return run_sync(run)
    except (AccountError, PasswordRejected, DatabaseUnavailable, SchemaTooNew) as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from None


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def add_user(name: str, password_stdin: bool = PASSWORD_STDIN) -> None:
    """Create a password account."""
    from stylist.accounts.passwords import PasswordRejected, check_password_rules
    from stylist.accounts.users import AccountStore

    password = _read_password(password_stdin)
    try:
        check_password_rules(password)
    except PasswordRejected as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from None
    account = _with_database(lambda engine: AccountStore(engine).add(name, password))
    typer.echo(f"Added {account.name}; they can log in to the chat now.")


@users_app.command("list")
def list_users() -> None:
    """Everyone who can log in (or has, through a proxy header), with their chat counts."""
    from stylist.accounts.users import AccountStore

    found = _with_database(lambda engine: AccountStore(engine).list())
    if not found:
        typer.echo("No users yet; add one with `stylist users add NAME`.")
        return
    for account in found:
        chats = f"{account.threads} chat{'s' if account.threads != 1 else ''}"
        typer.echo(f"{account.name:32} {chats:10} since {account.created_at[:10]}")


@users_app.command("remove")
def remove_user(
    name: str, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask to confirm.")
) -> None:
    """Remove a user with their chats, their photos and the stylist's memory of them."""
    if not yes:
        typer.confirm(f"Remove {name} and all their chats and photos?", abort=True)
    report = _forget(name)
    typer.echo(
        f"Removed {report.name}, {report.threads} chat(s) and "
        f"{report.before['image store']} photo(s)."
    )


def _forget(name: str):
    """Delete the user from every store (`stylist.agent.forget`); errors as sentences."""
    from stylist.accounts.database import DatabaseUnavailable, run_sync
    from stylist.accounts.schema import SchemaTooNew
    from stylist.accounts.users import AccountError
    from stylist.agent import get_agent
    from stylist.agent.forget import forget_user
    from stylist.profile import ProfileUnavailable

    async def forget():
        agent = get_agent()
        try:
            return await forget_user(name=name, checkpoints=agent.checkpoints)
        finally:
            await agent.aclose()

    try:
        report = run_sync(forget)
    except (AccountError, DatabaseUnavailable, SchemaTooNew, ProfileUnavailable) as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from None
    if not report.complete:
        left = ", ".join(store for store, n in report.after.items() if n)
        typer.echo(f"Some of {report.name}'s data could not be deleted ({left}).", err=True)
        raise typer.Exit(1)
    return report


@users_app.command("forget")
def forget_user_command(
    name: str, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask to confirm.")
) -> None:
    """Forget a user: delete their chats, photos, wardrobe, style profile, feedback and account
    from every store, and print how much each store held."""
    if not yes:
        typer.confirm(
            f"Delete everything Stylist keeps about {name} (chats, photos, wardrobe, style "
            "profile, feedback and the account)?",
            abort=True,
        )
    report = _forget(name)
    for store, count in report.before.items():
        typer.echo(f"{store:22} {count:6} deleted, {report.after[store]} left")
    typer.echo(f"Forgot {report.name}: nothing of theirs is left in any store.")


@users_app.command("set-password")
def set_password(name: str, password_stdin: bool = PASSWORD_STDIN) -> None:
    """Change a user's password (their open sessions stay signed in until they expire)."""
    from stylist.accounts.users import AccountStore

    password = _read_password(password_stdin)
    _with_database(lambda engine: AccountStore(engine).set_password(name, password))
    typer.echo(f"Password changed for {name.strip().lower()}.")


@feedback_app.command("export")
def export_feedback(
    out: Path | None = typer.Option(None, "--out", "-o", help="File to write (default: stdout)."),
) -> None:
    """Write every rated answer as one JSON line."""
    from stylist.accounts.feedback import as_jsonl, feedback_records, write_jsonl

    records = _with_database(feedback_records)
    if out is None:
        for line in as_jsonl(records):
            sys.stdout.write(line)
        return
    write_jsonl(records, out)
    typer.echo(f"Wrote {len(records)} rated answer(s) to {out}.", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(feedback_app, name="feedback")
