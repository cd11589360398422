"""`stylist train attributes|cnn|fewshot`, `stylist eval attributes|fewshot`, `stylist tag`.

Every failure a person can fix (no catalog, no encoder, no checkpoint, a bad photo, a bad
option) prints one sentence and exits with status 2; nothing prints a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from stylist.catalog.schema import ATTRIBUTES


@contextmanager
def _clear_errors():
    from stylist.catalog.loader import CatalogError
    from stylist.catalog.store import CatalogMissing
    from stylist.images import ImageRejected
    from stylist.models.errors import EncoderUnavailable, ModelMissing

    try:
        yield
    except (
        CatalogMissing,
        CatalogError,
        ModelMissing,
        EncoderUnavailable,
        ImageRejected,
        ValueError,
    ) as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from None


def _catalog_and_settings():
    from stylist.catalog.store import Catalog
    from stylist.settings import get_settings

    settings = get_settings()
    return Catalog.load(settings), settings


def _print_report_files(report: dict[str, Any]) -> None:
    for name, path in sorted(report.get("files", {}).items()):
        if name in ("json", "f1_plot", "kshot_plot", "loss_plot"):
            typer.echo(f"{name:11} {path}")


def _print_kshot(report: dict[str, Any]) -> None:
    accuracy = report.get("k_shot_accuracy") or {}
    if not accuracy:
        typer.echo(report.get("note", "No k-shot figures."))
        return
    typer.echo(f"held-out article types: {', '.join(report['held_out_types'])}")
    shots = sorted(accuracy["head/fused"], key=int)
    typer.echo(f"{'k-shot accuracy':34} " + " ".join(f"{f'k={k}':>7}" for k in shots))
    for method in (
        "head/fused",
        "ncm/fused",
        "head/image",
        "ncm/image",
        "head/fused/among-new",
        "ncm/fused/among-new",
    ):
        if method in accuracy:
            values = " ".join(f"{accuracy[method][k]['mean']:7.3f}" for k in shots)
            typer.echo(f"{method:34} {values}")


def _run(job: Callable[[], dict[str, Any]], show: Callable[[dict[str, Any]], None]) -> None:
    with _clear_errors():
        report = job()
    show(report)
    _print_report_files(report)


def _show_f1(report: dict[str, Any]) -> None:
    from stylist.models.metrics import format_f1_table

    typer.echo(format_f1_table(report))


def register(app: typer.Typer, train_app: typer.Typer, eval_app: typer.Typer) -> None:
    @train_app.command("attributes")
    def train_attributes(
        quick: bool = typer.Option(False, "--quick", help="A few epochs (seconds), for tests."),
        hidden: int = typer.Option(256, min=0, help="Hidden units per head (0 = linear)."),
        epochs: int = typer.Option(60, min=1, help="Training epochs."),
    ) -> None:
        """Train the attribute heads on the encoder's embeddings (the default tagger)."""
        from stylist.models.heads import train_attribute_heads

        def job() -> dict[str, Any]:
            catalog, settings = _catalog_and_settings()
            options = {"hidden": hidden} | ({} if quick else {"epochs": epochs})
            return train_attribute_heads(catalog, settings, quick=quick, **options)

        _run(job, _show_f1)

    @train_app.command("cnn")
    def train_cnn_command(
        quick: bool = typer.Option(False, "--quick", help="Tiny pictures, 2 epochs, for tests."),
        routing: str | None = typer.Option(
            None,
            help="Which backbone serves which attributes: JSON such as "
            '\'{"mobilenet_v2": ["gender", ...], "resnet18": ["articleType", ...]}\' '
            "or a JSON file.",
        ),
        backbone: str | None = typer.Option(
            None,
            help="One backbone for all 7 attributes: resnet18, resnet50, mobilenet_v2, mobilenet_v3_small, mobilenet_v3_large or efficientnet_lite0.",
        ),
        epochs: int | None = typer.Option(None, min=1, help="Training epochs (default 8)."),
        batch_size: int | None = typer.Option(None, min=2),
        lr: float | None = typer.Option(None, min=0.0, help="Peak one-cycle learning rate."),
        head_lr: float | None = typer.Option(
            None, min=0.0, help="Peak learning rate of the heads (default: --lr)."
        ),
        height: int | None = typer.Option(None, min=16, help="Training picture height (80)."),
        width: int | None = typer.Option(None, min=16, help="Training picture width (60)."),
        loss: str | None = typer.Option(None, help='"ce" (cross-entropy) or "focal".'),
        class_weights: bool = typer.Option(True, "--class-weights/--no-class-weights"),
        augment: bool = typer.Option(True, "--augment/--no-augment"),
        pretrained: bool = typer.Option(
            False,
            "--pretrained",
            help="Start from ImageNet weights: packaged for efficientnet_lite0 (with its tuned "
            "recipe: 128 px padded, 4 epochs), downloaded for the torchvision backbones.",
        ),
        colour_features: bool | None = typer.Option(
            None,
            "--colour-features/--no-colour-features",
            help="The colour head also sees a Lab histogram of the garment's own pixels.",
        ),
        bn_freeze_steps: int | None = typer.Option(
            None, min=0, help="First steps with BatchNorm on its ImageNet statistics."
        ),
        fresh: bool = typer.Option(
            False,
            "--fresh",
            help="Train afresh, ignoring an interrupted run's state and a finished run of the "
            "same options (which is otherwise evaluated, not trained again).",
        ),
    ) -> None:
        """Train the multi-task CNN on pixels; an interrupted run continues where it stopped, a
        finished run of the same options is evaluated again instead of retrained."""
        from stylist.models.cnn import train_cnn

        def job() -> dict[str, Any]:
            if routing and backbone:
                raise ValueError("Give either --routing or --backbone, not both.")
            options: dict[str, Any] = {
                "epochs": epochs,
                "batch_size": batch_size,
                "lr": lr,
                "head_lr": head_lr,
                "colour_features": colour_features,
                "bn_freeze_steps": bn_freeze_steps,
                "height": height,
                "width": width,
                "loss": loss,
            }
            options = {k: v for k, v in options.items() if v is not None}
            if routing:
                options["routing"] = routing
            if backbone:
                options["routing"] = {backbone: list(ATTRIBUTES)}
            options.update(class_weighted=class_weights, augment=augment, pretrained=pretrained)
            catalog, settings = _catalog_and_settings()
            return train_cnn(
                catalog, settings, quick=quick, resume=not fresh, log_fn=typer.echo, **options
            )

        _run(job, lambda report: None)  # train_cnn prints its table through log_fn

    @train_app.command("fewshot")
    def train_fewshot_command(
        quick: bool = typer.Option(False, "--quick", help="Fewer draws and steps, for tests."),
        draws: int | None = typer.Option(None, min=1, help="Support draws per k (default 5)."),
        holdout: int | None = typer.Option(None, min=1, help="Held-out article types (5)."),
    ) -> None:
        """Evaluate the few-shot head on held-out types, then train it on all types."""
        from stylist.models.fewshot import train_fewshot

        def job() -> dict[str, Any]:
            options = {
                k: v for k, v in {"draws": draws, "holdout_types": holdout}.items() if v is not None
            }
            catalog, settings = _catalog_and_settings()
            return train_fewshot(catalog, settings, quick=quick, **options)

        _run(job, _print_kshot)

    @eval_app.command("attributes")
    def eval_attributes(
        model: str | None = typer.Option(
            None, help='"heads" or "cnn" (default: settings.attribute_model).'
        ),
    ) -> None:
        """Weighted F1 per attribute of the trained tagger on the test split."""
        from stylist.models.taggers import evaluate_attributes

        def job() -> dict[str, Any]:
            catalog, settings = _catalog_and_settings()
            return evaluate_attributes(catalog, settings, model=model)

        _run(job, _show_f1)

    @eval_app.command("fewshot")
    def eval_fewshot(
        quick: bool = typer.Option(False, "--quick"),
        draws: int | None = typer.Option(None, min=1, help="Support draws per k (default 5)."),
    ) -> None:
        """1/5/10-shot accuracy on held-out article types: head vs nearest class mean."""
        from stylist.models.fewshot import evaluate_fewshot

        def job() -> dict[str, Any]:
            catalog, settings = _catalog_and_settings()
            options = {"draws": draws} if draws else {}
            return evaluate_fewshot(catalog, settings, quick=quick, **options)

        _run(job, _print_kshot)

    @app.command("tag")
    def tag(
        photo: Path = typer.Argument(..., help="A photo of a garment (JPEG, PNG, WebP, GIF)."),
        top_k: int = typer.Option(3, "--top-k", min=1, max=20, help="Labels per attribute."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    ) -> None:
        """Print the 7 attributes of a photo, with confidences."""
        from stylist.images import load_image
        from stylist.models.taggers import load_tagger
        from stylist.settings import get_settings

        with _clear_errors():
            image = load_image(photo)  # the one loader: a bad file is one sentence
            prediction = load_tagger(get_settings()).predict([image], top_k=top_k)[0]
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        a: [
                            {"label": label, "confidence": round(p, 4)}
                            for label, p in prediction[a]
                        ]
                        for a in prediction
                    },
                    indent=2,
                )
            )
            return
        for attribute in ATTRIBUTES:
            ranked = ", ".join(f"{label} {p:.2f}" for label, p in prediction.get(attribute, []))
            typer.echo(f"{attribute:15} {ranked}")
