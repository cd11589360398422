"""Fixtures: a tiny catalog with its ground truth, and one full `eval-real` run with the smoke
preset (the real run's pretrained models, 1 CNN epoch), shared by the tests that only read its
results."""

from __future__ import annotations

from pathlib import Path

import pytest
from realeval_world import N_ITEMS, RealRun, quick_settings, write_ground_truth


@pytest.fixture(scope="session")
def tiny_catalog(tmp_path_factory) -> tuple[Path, Path]:
    from stylist.catalog.demo import generate_demo_catalog

    root = tmp_path_factory.mktemp("real-eval-catalog")
    generate_demo_catalog(root / "catalog", n=N_ITEMS, seed=3, progress=False)
    return root / "catalog", write_ground_truth(root / "catalog", root / "kagl-gt")


@pytest.fixture(scope="session")
def real_run(tiny_catalog, tmp_path_factory) -> RealRun:
    """One complete smoke `eval-real` run (every stage, the report, the plots)."""
    import torch

    from stylist.realeval.runner import run_real_eval

    torch.set_num_threads(1)  # the test machine is small and shared
    catalog_dir, kagl_gt = tiny_catalog
    root = tmp_path_factory.mktemp("real-eval-run")
    run = RealRun(catalog_dir, kagl_gt, root / "data", root / "docs")
    run_real_eval(
        catalog_dir,
        data_dir=run.data_dir,
        kagl_gt=kagl_gt,
        preset="smoke",
        docs_dir=run.docs_dir,
        settings=quick_settings(),
        progress=False,
        log=run.log.append,
    )
    return run
