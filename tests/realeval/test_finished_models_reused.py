"""A finished model in the data dir is evaluated, not trained again: the eval-real cnn stage
finds the checkpoint `stylist train cnn` left (same options, same training items), and the
encoder stage the packaged encoder a finished run saved."""

from __future__ import annotations

import pytest
from realeval_world import quick_settings

pytestmark = pytest.mark.slow

TINY_CNN = {
    "routing": {
        "mobilenet_v3_small": [
            "gender",
            "masterCategory",
            "subCategory",
            "articleType",
            "baseColour",
            "season",
            "usage",
        ]
    }
}


@pytest.fixture(scope="module")
def tiny_install(tmp_path_factory):
    import torch

    from stylist.catalog.demo import generate_demo_catalog
    from stylist.catalog.store import Catalog, ingest

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("finished-models")
    settings = quick_settings().model_copy(update={"data_dir": root / "data"})
    styles = generate_demo_catalog(root / "catalog", n=120, seed=1, progress=False)
    ingest(styles, root / "catalog" / "images", settings, progress=False)
    return Catalog.load(settings), settings


def test_a_finished_cnn_run_is_evaluated_not_trained_again(tiny_install):
    from stylist.layout import InstallLayout
    from stylist.models.checkpoints import save_checkpoint
    from stylist.models.cnn import train_cnn

    catalog, settings = tiny_install
    first = train_cnn(catalog, settings, quick=True, progress=False, **TINY_CNN)
    checkpoint = InstallLayout.of(settings).cnn_path
    stamp = checkpoint.stat().st_mtime_ns

    log: list[str] = []
    again = train_cnn(catalog, settings, quick=True, progress=False, log_fn=log.append, **TINY_CNN)
    assert checkpoint.stat().st_mtime_ns == stamp  # not trained (nor saved) again
    assert again["reused_checkpoint"] is True
    assert any("evaluating it only" in line for line in log)
    assert again["weighted_f1"] == first["weighted_f1"]  # the same network, the same test split
    assert again["validation_average_f1_per_epoch"] == first["validation_average_f1_per_epoch"]

    # A checkpoint from before the training ids were kept in it (what an earlier
    # `stylist train cnn` wrote) is matched on the catalog's size instead.
    import torch

    payload = torch.load(checkpoint, weights_only=False)
    for key in ("train_ids", "training"):
        payload.pop(key)
    save_checkpoint(payload, checkpoint)
    stamp = checkpoint.stat().st_mtime_ns
    older = train_cnn(catalog, settings, quick=True, progress=False, **TINY_CNN)
    assert older["reused_checkpoint"] is True and checkpoint.stat().st_mtime_ns == stamp

    # Other options are another run: it trains.
    other = train_cnn(catalog, settings, quick=True, progress=False, epochs=1, **TINY_CNN)
    assert "reused_checkpoint" not in other and checkpoint.stat().st_mtime_ns != stamp
    # resume=False (the CLI's --fresh) always trains.
    stamp = checkpoint.stat().st_mtime_ns
    fresh = train_cnn(
        catalog, settings, quick=True, progress=False, resume=False, epochs=1, **TINY_CNN
    )
    assert "reused_checkpoint" not in fresh and checkpoint.stat().st_mtime_ns != stamp


def test_a_finished_packaged_encoder_is_kept_and_its_report_returned(tiny_install):
    from stylist.layout import ENCODER_WEIGHTS_FILE
    from stylist.models.encoder.packaged import packaged_dir
    from stylist.models.encoder_training import train_encoder
    from stylist.models.packaged_training import PackagedTrainOptions

    catalog, base = tiny_install
    settings = base.model_copy(update={"encoder": "packaged:lite0-minilm"})
    options = PackagedTrainOptions.quick().updated(epochs=2)
    first = train_encoder(catalog, settings, progress=False, options=options)
    weights = packaged_dir("lite0-minilm", settings) / ENCODER_WEIGHTS_FILE
    stamp = weights.stat().st_mtime_ns

    again = train_encoder(catalog, settings, progress=False, options=options)
    assert again["reused"] is True and weights.stat().st_mtime_ns == stamp
    assert again["after"] == first["after"]

    other = train_encoder(catalog, settings, progress=False, options=options.updated(epochs=3))
    assert not other.get("reused") and weights.stat().st_mtime_ns != stamp
