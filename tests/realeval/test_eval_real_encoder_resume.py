"""The epoch-level resume hook added to the encoder trainer for `stylist eval-real`: a training
stopped after an epoch continues from there instead of starting over."""

from __future__ import annotations

import pytest
from realeval_world import quick_settings

pytestmark = pytest.mark.slow


def test_encoder_training_stopped_after_an_epoch_continues_from_it(tmp_path, monkeypatch):
    import torch

    from stylist.catalog.demo import generate_demo_catalog
    from stylist.catalog.store import Catalog, ingest
    from stylist.models import encoder_training
    from stylist.models.encoder_training import RESUME_FILE, EncoderTrainOptions, train_encoder

    torch.set_num_threads(1)
    settings = quick_settings().model_copy(update={"data_dir": tmp_path / "data"})
    styles = generate_demo_catalog(tmp_path / "catalog", n=120, seed=1, progress=False)
    ingest(styles, tmp_path / "catalog" / "images", settings, progress=False)
    catalog = Catalog.load(settings)
    options = EncoderTrainOptions.quick()

    # _contrastive_loss runs once before training, then once after each epoch (held-out loss,
    # just before the epoch's state is saved): stopping on its 3rd call stops inside epoch 2.
    real_loss, calls = encoder_training._contrastive_loss, []

    def stopping_loss(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_loss(*args, **kwargs)

    monkeypatch.setattr(encoder_training, "_contrastive_loss", stopping_loss)
    with pytest.raises(KeyboardInterrupt):
        train_encoder(catalog, settings, options=options, progress=False)
    resume_file = settings.models_dir / RESUME_FILE
    assert resume_file.is_file()
    monkeypatch.undo()

    results = train_encoder(catalog, settings, options=options, progress=False)
    assert results["resumed_from_epoch"] == 1
    assert len(results["history"]["train contrastive"]) == options.epochs
    assert not resume_file.exists()
    assert (settings.models_dir / "encoder").is_dir()

    fresh = train_encoder(catalog, settings, options=options, progress=False)
    assert fresh["resumed_from_epoch"] is None
