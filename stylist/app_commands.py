"""`stylist demo` (the chat, built and served) and `stylist serve` (the HTTP API)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import typer

# The default demo (3,000 items, full training) on 2 idle CPU cores, measured: drawing the
# catalog ~36 s, ingest ~5 s, encoder + attribute heads + few-shot head 229 s, index ~10 s.
FIRST_BUILD_MINUTES = "5"


def chainlit_app_path() -> Path:
    """chainlit_app.py at the repository root (next to the `stylist` package, .chainlit/, public/)."""
    import stylist

    return Path(stylist.__file__).resolve().parent.parent / "chainlit_app.py"


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def chainlit_command(app_file: Path, host: str, port: int) -> list[str]:
    # -h: headless (do not try to open a browser on the server).
    return [
        sys.executable,
        "-m",
        "chainlit",
        "run",
        str(app_file),
        "-h",
        "--host",
        host,
        "--port",
        str(port),
    ]


def chainlit_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Chainlit switches to its "--ci" mode (and replaces OPENAI_API_KEY) when CI is set.
    env.pop("CI", None)
    env["STYLIST_DATA_DIR"] = str(data_dir.resolve())
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    return env


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port of the chat."),
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
        n: int = typer.Option(3000, "--n", min=20, help="Items in the demo catalog."),
        quick: bool = typer.Option(False, "--quick", help="Tiny models: builds in seconds."),
        build_only: bool = typer.Option(False, "--build-only", help="Build, do not serve."),
        catalog: Path | None = typer.Option(
            None,
            "--catalog",
            help="A catalog of your own (styles.csv + images/, the Kaggle layout): ingested "
            "into its own data dir, models trained, index built, then the chat.",
        ),
    ) -> None:
        """Build whatever the demo (or --catalog DIR) is missing (catalog, models, index), then
        serve the chat."""
        from stylist.agent.providers import resolve_provider
        from stylist.install_status import missing_parts
        from stylist.pipeline import (
            build_demo,
            build_from_catalog,
            check_catalog_dir,
            count_items,
            expected_seconds,
            model_choice_env,
            real_catalog_settings,
        )
        from stylist.settings import get_settings
        from stylist.wording import in_words

        settings = get_settings()
        if catalog is not None:
            try:
                check_catalog_dir(catalog)
            except ValueError as err:
                typer.echo(str(err), err=True)
                raise typer.Exit(2) from None
            # Its own data dir, and the real-catalog models unless the user chose others.
            settings = real_catalog_settings(settings, catalog)
        app_file = chainlit_app_path()
        if not build_only:
            if not app_file.is_file():
                typer.echo(
                    f"I can't find the chat app at {app_file}; run `stylist demo` from a "
                    "checkout of the repository (pip install -e .).",
                    err=True,
                )
                raise typer.Exit(2)
            if not port_is_free(host, port):
                typer.echo(
                    f"Port {port} is already in use; pick another with --port "
                    "(or `make demo PORT=8001`).",
                    err=True,
                )
                raise typer.Exit(2)
        missing = missing_parts(settings)
        if missing and catalog is not None:
            items = count_items(catalog / "styles.csv")
            minutes = expected_seconds(items, settings, quick=quick) / 60
            expected = "about a minute" if minutes < 1.5 else f"about {minutes:.0f} minutes"
            typer.echo(
                f"First run for the {items:,}-item catalog at {catalog}: building "
                f"{in_words(missing)} in {settings.data_dir} — {expected} on 2 idle CPU cores "
                "(longer on a busy machine). Later runs reuse it."
            )
        elif missing:
            minutes = "about a minute" if quick else f"about {FIRST_BUILD_MINUTES} minutes"
            typer.echo(
                f"First run: building {in_words(missing)} in {settings.data_dir} — "
                f"{minutes} on 2 idle CPU cores (longer on a busy machine). Later runs reuse it."
            )
        try:
            if catalog is not None:
                build_from_catalog(catalog, settings, quick=quick, progress=True, log=typer.echo)
            else:
                build_demo(settings, n=n, quick=quick, progress=True, log=typer.echo)
        except Exception as err:  # noqa: BLE001 - a sentence, not a traceback, then stop
            typer.echo(f"The demo build stopped: {err}", err=True)
            raise typer.Exit(1) from None
        if build_only:
            return
        provider = resolve_provider(settings)
        typer.echo(
            f"Advice is written by: {provider.display_name} ({provider.model}); "
            "change it per chat in the settings panel."
        )
        url_host = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
        typer.echo(f"Open the chat at http://{url_host}:{port}  (Ctrl+C stops it)")
        _print_login(settings)
        command = chainlit_command(app_file, host, port)
        env = chainlit_env(settings.data_dir)  # resolves a relative data dir before the chdir
        env.update(model_choice_env(settings))  # the chat loads the models this build made
        # Chainlit reads .chainlit/config.toml, chainlit.md and public/ from the working dir.
        os.chdir(app_file.parent)
        sys.stdout.flush()
        os.execvpe(command[0], command, env)

    @app.command()
    def serve(
        port: int = typer.Option(8080, "--port", min=1, max=65535),
        host: str = typer.Option("127.0.0.1", "--host"),
    ) -> None:
        """Serve the HTTP API v1 (tag, caption, search, items, outfit, chat; /docs) with uvicorn."""
        import uvicorn

        if not port_is_free(host, port):
            typer.echo(f"Port {port} is already in use; pick another with --port.", err=True)
            raise typer.Exit(2)
        typer.echo(f"Stylist API on http://{host}:{port}  (docs at /docs)")
        uvicorn.run("stylist.api:create_app", factory=True, host=host, port=port)


def _print_login(settings) -> None:
    """How to log in: the demo account made on first run, or the accounts someone added."""
    from stylist.accounts.database import DatabaseUnavailable
    from stylist.accounts.demo_account import ensure_demo_account
    from stylist.accounts.schema import SchemaTooNew

    try:
        login = ensure_demo_account(settings)
    except (DatabaseUnavailable, SchemaTooNew) as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from None
    if login.password:
        made = "created for this demo; " if login.created else ""
        typer.echo(
            f"Log in as {login.name} with password {login.password}  ({made}kept in "
            f"{settings.data_dir / 'demo-password'}; add people with `stylist users add NAME`)"
        )
    else:
        typer.echo("Log in with your account (`stylist users list`, `stylist users add NAME`).")
