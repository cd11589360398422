"""The `stylist` command: catalog operators' entry point (Typer).

Heavy imports (torch, chromadb, langchain) happen inside each command so that `stylist --help`
and `stylist config` answer instantly. Each part of the product registers its own commands from
its own `commands` module; this file only assembles them.
"""

from __future__ import annotations

import typer

from stylist.accounts.commands import register as register_account_commands
from stylist.agent.commands import register as register_chat_command
from stylist.api.commands import register as register_api_commands
from stylist.app_commands import register as register_app_commands
from stylist.catalog.commands import register as register_catalog_commands
from stylist.models.commands import register as register_model_commands
from stylist.models.encoder_commands import register as register_encoder_commands
from stylist.realeval.commands import register as register_real_eval_command
from stylist.vectorstore.commands import register as register_search_commands

app = typer.Typer(
    name="stylist",
    help="Stylist: a conversational fashion stylist. Ingest a catalog, train, index, chat.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
train_app = typer.Typer(help="Train the models on the ingested catalog.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate the models and the search.", no_args_is_help=True)
app.add_typer(train_app, name="train")
app.add_typer(eval_app, name="eval")


@app.command()
def config() -> None:
    """Print the effective settings (secrets masked)."""
    from stylist.settings import get_settings

    for name, value in get_settings().masked().items():
        typer.echo(f"{name:20} {value}")


register_catalog_commands(app)
register_model_commands(app, train_app, eval_app)
register_encoder_commands(train_app, eval_app)
register_search_commands(app, eval_app)
register_app_commands(app)
register_chat_command(app)
register_real_eval_command(app)
register_account_commands(app)
register_api_commands(app)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
