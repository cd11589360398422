"""`stylist eval-real`: the real-catalog evaluation (see stylist.realeval.runner)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("eval-real")
    def eval_real(
        catalog: Path = typer.Option(
            ..., "--catalog", help="A folder in the Kaggle layout: styles.csv + images/<id>.jpg."
        ),
        data_dir: Path = typer.Option(
            Path(".stylist-real"),
            "--data-dir",
            help="Where this run's catalog, models, index and reports go (the demo's data dir "
            "is left alone).",
        ),
        kagl_gt: Path | None = typer.Option(
            None,
            "--kagl-gt",
            envvar="KAGL_GT",
            help="Folder of Marqo's KAGL ground_truth_*.json files (optional).",
        ),
        budget_minutes: float | None = typer.Option(
            None,
            "--budget-minutes",
            min=1,
            help="Fit the run to this many minutes (default: the preset's own, 60 for real).",
        ),
        preset: str = typer.Option(
            "real",
            "--preset",
            help='"real" (full run), "smoke" (1 epoch each), "quick" (tiny models, tests), or '
            "a preset JSON file.",
        ),
        docs_dir: Path = typer.Option(
            Path("docs"), "--docs-dir", help="Where evaluation.md and its plots are written."
        ),
        threads: int | None = typer.Option(
            None, "--threads", min=1, help="torch CPU threads (default: torch's choice)."
        ),
        restart: bool = typer.Option(
            False, "--restart", help="Forget finished stages and run everything again."
        ),
        redo: list[str] = typer.Option(
            [], "--redo", help="Run this stage again even if it finished (repeatable)."
        ),
    ) -> None:
        """Train (or reuse) and evaluate the preset's models on a real catalog and write
        docs/evaluation.md.

        Resumable: run the same command again after a stop and finished stages are skipped
        (the CNN and encoder also continue from their last finished epoch). A CNN or packaged
        encoder the data dir already holds for the same options is evaluated, not retrained.
        """
        from stylist.catalog.loader import CatalogError
        from stylist.catalog.store import CatalogMissing
        from stylist.images import ImageRejected
        from stylist.models.errors import EncoderUnavailable, ModelMissing
        from stylist.realeval.budget import PresetError
        from stylist.realeval.runner import RealEvalError, run_real_eval
        from stylist.realeval.stages import StageFailed
        from stylist.vectorstore.errors import SearchError

        if threads:
            import torch

            torch.set_num_threads(threads)
        try:
            run_real_eval(
                catalog,
                data_dir=data_dir,
                kagl_gt=kagl_gt,
                budget_minutes=budget_minutes,
                preset=preset,
                docs_dir=docs_dir,
                restart=restart,
                redo=tuple(redo),
                log=typer.echo,
            )
        except (
            RealEvalError,
            PresetError,
            CatalogError,
            CatalogMissing,
            ModelMissing,
            EncoderUnavailable,
            ImageRejected,
            SearchError,
            StageFailed,
        ) as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(2) from None
        except ValueError as err:  # trainers say what is wrong with the data in one sentence
            typer.echo(str(err), err=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            typer.echo(
                "Stopped. Run the same command again to continue from the last "
                "finished stage (and epoch).",
                err=True,
            )
            raise typer.Exit(130) from None
