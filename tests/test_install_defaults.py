"""Which encoder and tagger each install builds by default (docs/evaluation.md, "Which models
each install uses"): a real catalog gets the packaged encoder and its heads, the demo
keeps the small demo encoder and heads, and STYLIST_ATTRIBUTE_MODEL / STYLIST_ENCODER win
wherever models are built."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from stylist.pipeline import REAL_CATALOG_DEFAULTS, model_choice_env, real_catalog_settings
from stylist.settings import StyleSettings, get_settings


@pytest.fixture
def kaggle_folder(tmp_path):
    folder = tmp_path / "my-shop"
    (folder / "images").mkdir(parents=True)
    (folder / "styles.csv").write_text("id,gender\n1,Men\n")
    return folder


def test_a_real_catalog_install_uses_the_packaged_encoder_and_its_heads(tmp_path, kaggle_folder):
    settings = real_catalog_settings(StyleSettings(data_dir=tmp_path / "base"), kaggle_folder)
    assert settings.encoder == "packaged:lite0-minilm" == REAL_CATALOG_DEFAULTS["encoder"]
    assert settings.attribute_model == "heads" == REAL_CATALOG_DEFAULTS["attribute_model"]
    assert settings.data_dir.parent == tmp_path / "base" / "catalogs"
    assert StyleSettings().encoder == "demo" and StyleSettings().attribute_model == "heads"


def test_what_the_user_set_wins_over_the_real_catalog_defaults(
    tmp_path, kaggle_folder, monkeypatch
):
    chosen = StyleSettings(data_dir=tmp_path, attribute_model="cnn")
    assert real_catalog_settings(chosen, kaggle_folder).attribute_model == "cnn"
    monkeypatch.setenv("STYLIST_ENCODER", "demo")
    monkeypatch.setenv("STYLIST_ATTRIBUTE_MODEL", "cnn")
    from_env = real_catalog_settings(StyleSettings(data_dir=tmp_path), kaggle_folder)
    assert (from_env.encoder, from_env.attribute_model) == ("demo", "cnn")


def _built_settings(monkeypatch, tmp_path, args: list[str], **env: str) -> StyleSettings:
    """The settings `stylist demo --build-only ARGS` builds with (the build itself stubbed)."""
    import stylist.pipeline
    from stylist.cli import app

    built: dict[str, StyleSettings] = {}
    monkeypatch.setattr(
        stylist.pipeline, "build_from_catalog", lambda _f, s, **_kw: built.update(s=s)
    )
    monkeypatch.setattr(stylist.pipeline, "build_demo", lambda s, **_kw: built.update(s=s))
    monkeypatch.setenv("STYLIST_DATA_DIR", str(tmp_path / "base"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo", "--build-only", *args])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return built["s"]


def test_every_build_command_honours_stylist_attribute_model(monkeypatch, tmp_path, kaggle_folder):
    catalog = ["--catalog", str(kaggle_folder)]
    real = _built_settings(monkeypatch, tmp_path, catalog)
    assert (real.encoder, real.attribute_model) == ("packaged:lite0-minilm", "heads")
    cnn = _built_settings(monkeypatch, tmp_path, catalog, STYLIST_ATTRIBUTE_MODEL="cnn")
    assert cnn.attribute_model == "cnn"
    demo = _built_settings(monkeypatch, tmp_path, [], STYLIST_ATTRIBUTE_MODEL="cnn")
    assert (demo.encoder, demo.attribute_model) == ("demo", "cnn")


def test_the_chat_process_is_told_the_models_the_build_chose(tmp_path, kaggle_folder):
    settings = real_catalog_settings(StyleSettings(data_dir=tmp_path), kaggle_folder)
    env = model_choice_env(settings)
    assert env == {"STYLIST_ENCODER": "packaged:lite0-minilm", "STYLIST_ATTRIBUTE_MODEL": "heads"}
