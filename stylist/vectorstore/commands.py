"""`stylist index`, `stylist search`, `stylist outfit` and `stylist eval search`.

The commands import what they run inside their bodies: `stylist --help` and every other command
must not load torch and Chroma for a command that is not running.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from stylist.catalog.schema import ATTRIBUTES


def _fail(err: Exception) -> None:
    typer.echo(str(err), err=True)
    raise typer.Exit(2) from None


def _expected_errors() -> tuple[type[Exception], ...]:
    """Errors whose message is already a sentence for a person."""
    from stylist.catalog.loader import CatalogError
    from stylist.catalog.store import CatalogMissing
    from stylist.images import ImageRejected
    from stylist.models.errors import EncoderUnavailable, ModelMissing
    from stylist.vectorstore.errors import SearchError

    return (
        SearchError,
        CatalogMissing,
        CatalogError,
        EncoderUnavailable,
        ModelMissing,
        ImageRejected,
    )


def register(app: typer.Typer, eval_app: typer.Typer | None = None) -> None:
    @app.command("index")
    def index_command(
        rebuild: bool = typer.Option(False, "--rebuild", help="Drop the index and start over."),
    ) -> None:
        """Build or update the catalog search index (resumable; only new items are embedded)."""
        from stylist.settings import get_settings
        from stylist.vectorstore.index import build_index

        try:
            result = build_index(get_settings(), rebuild=rebuild, progress=True)
        except _expected_errors() as err:
            _fail(err)
        typer.echo(json.dumps(result, indent=2))

    @app.command("search")
    def search_command(
        text: str = typer.Argument("", help="What to look for, e.g. 'red summer dress'."),
        image: Path | None = typer.Option(None, "--image", help="A photo to find items like."),
        item: int | None = typer.Option(None, "--item", help="A catalog item id: more like it."),
        gender: str | None = typer.Option(None, "--gender"),
        master_category: str | None = typer.Option(None, "--category"),
        sub_category: str | None = typer.Option(None, "--sub-category"),
        article_type: str | None = typer.Option(None, "--type"),
        colour: str | None = typer.Option(None, "--colour", "--color"),
        season: str | None = typer.Option(None, "--season"),
        usage: str | None = typer.Option(None, "--usage", "--occasion"),
        min_price: float | None = typer.Option(None, "--min-price", min=0),
        max_price: float | None = typer.Option(None, "--max-price", min=0),
        k: int = typer.Option(10, "--k", min=1, max=50, help="How many results (1-50)."),
        diverse: bool = typer.Option(False, "--diverse", help="Avoid near-duplicate results."),
        parse: bool = typer.Option(
            True,
            "--parse/--no-parse",
            help="Read filter words (colour, type, price...) in the text.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print results as JSON."),
    ) -> None:
        """Search the catalog by text, photo or item, with filters."""
        from stylist.images import get_image_store
        from stylist.settings import get_settings
        from stylist.vectorstore.filters import SearchFilters, parse_query
        from stylist.vectorstore.search import get_index

        try:
            settings = get_settings()
            index = get_index(settings)
            explicit = SearchFilters(
                gender=gender,
                masterCategory=master_category,
                subCategory=sub_category,
                articleType=article_type,
                baseColour=colour,
                season=season,
                usage=usage,
                min_price=min_price,
                max_price=max_price,
            )
            photo_id = get_image_store().put(image.read_bytes()) if image else None
            filters, query = explicit, text or None
            if parse and text:
                parsed = parse_query(text, index.catalog)
                filters = parsed.filters.merged(explicit)
                # A fully parsed "red dress" still ranks by its words inside the filtered set;
                # with --item or --image the words only modify its embedding.
                anchored = item is not None or photo_id is not None
                query = (parsed.remainder or None) if anchored else text
            results = index.search(
                text=query, image=photo_id, item_id=item, filters=filters, k=k, diverse=diverse
            )
        except OSError as err:
            _fail(RuntimeError(f"Cannot read {image}: {err.strerror or err}."))
        except _expected_errors() as err:
            _fail(err)
        if as_json:
            typer.echo(json.dumps([p.model_dump() for p in results], indent=2))
            return
        applied = filters.validated(index.catalog).describe()
        typer.echo(f"Filters: {applied}")
        if not results:
            typer.echo("No item matches those filters.")
        for p in results:
            attrs = " · ".join(p.attributes[a] for a in ATTRIBUTES)
            typer.echo(f"{p.score:6.3f}  {p.short()}\n        {attrs}")

    @app.command("outfit")
    def outfit_command(
        item: int = typer.Option(..., "--item", help="The catalog item to build around."),
        style: str | None = typer.Option(None, "--style", help="e.g. 'casual summer outfit'."),
        max_price: float | None = typer.Option(None, "--max-price", min=0),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Complete an outfit around a catalog item."""
        from stylist.settings import get_settings
        from stylist.vectorstore.outfit import complete_outfit

        try:
            outfit = complete_outfit(
                anchor_item_id=item,
                style=style,
                filters={"max_price": max_price},
                settings=get_settings(),
            )
        except _expected_errors() as err:
            _fail(err)
        typer.echo(outfit.model_dump_json(indent=2) if as_json else outfit.summary())

    if eval_app is None:
        return

    @eval_app.command("search")
    def eval_search_command(
        kagl_gt: Path | None = typer.Option(
            None, "--kagl-gt", help="Folder of Marqo's KAGL ground_truth_*.json files."
        ),
        max_queries: int | None = typer.Option(
            None, "--max-queries", min=1, help="Evaluate at most this many name queries."
        ),
    ) -> None:
        """Text → product recall / MRR and attribute → product precision (Marqo's protocol)."""
        from stylist.settings import get_settings
        from stylist.vectorstore.evaluation import evaluate_search

        try:
            result = evaluate_search(get_settings(), kagl_gt=kagl_gt, max_queries=max_queries)
        except _expected_errors() as err:
            _fail(err)
        typer.echo(json.dumps(result["summary"], indent=2))
        typer.echo(f"Report: {result['report']}")
