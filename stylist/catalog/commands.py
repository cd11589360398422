"""`stylist demo-data` and `stylist ingest`."""

from __future__ import annotations

from pathlib import Path

import typer


def print_ingest_summary(report) -> None:
    typer.echo(f"Rows read: {report.rows_read}")
    typer.echo(f"Items kept: {len(report.items)}")
    typer.echo(f"Names with commas rejoined: {report.names_rejoined}")
    typer.echo(f"Rows skipped: {report.rows_skipped}")
    for reason, count in sorted(report.skipped.items(), key=lambda kv: -kv[1]):
        typer.echo(f"  {reason}: {count}")
    for attribute, counts in report.class_counts().items():
        shown = ", ".join(f"{label} {n}" for label, n in list(counts.items())[:12])
        more = f", … {len(counts) - 12} more" if len(counts) > 12 else ""
        typer.echo(f"{attribute} ({len(counts)} classes): {shown}{more}")


def register(app: typer.Typer) -> None:
    @app.command("demo-data")
    def demo_data(
        n: int = typer.Option(3000, "--n", min=20, help="How many items to generate."),
        out: Path | None = typer.Option(None, "--out", help="Folder (default: data dir)."),
        seed: int = typer.Option(0, help="Random seed; the same seed gives the same catalog."),
        ingest_too: bool = typer.Option(
            True, "--ingest/--no-ingest", help="Also ingest it as the active catalog."
        ),
    ) -> None:
        """Generate the synthetic demo catalog (Kaggle layout) and ingest it."""
        from stylist.catalog.demo import generate_demo_catalog
        from stylist.catalog.store import ingest
        from stylist.settings import get_settings

        out = out or get_settings().demo_catalog_dir
        styles = generate_demo_catalog(out, n=n, seed=seed)
        typer.echo(f"Wrote {styles} and {out / 'images'}")
        if ingest_too:
            print_ingest_summary(ingest(styles, out / "images"))

    @app.command("ingest")
    def ingest_command(
        styles: Path = typer.Option(..., "--styles", help="Path of styles.csv."),
        images: Path = typer.Option(..., "--images", help="Folder of <id>.jpg photos."),
    ) -> None:
        """Read a catalog in the Kaggle layout, validate it, split it, and make it active."""
        from stylist.catalog.loader import CatalogError
        from stylist.catalog.store import ingest

        try:
            report = ingest(styles, images)
        except CatalogError as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(2) from None
        print_ingest_summary(report)
