"""Settings come from STYLIST_* variables; `stylist config` never prints a secret."""

from __future__ import annotations

from typer.testing import CliRunner

from stylist.cli import app
from stylist.settings import get_settings


def test_env_overrides_and_derived_paths(monkeypatch, tmp_path):
    monkeypatch.setenv("STYLIST_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("STYLIST_LLM_PROVIDER", "ollama")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.llm_provider == "ollama"
    assert settings.items_path == tmp_path / "elsewhere" / "catalog" / "items.csv"
    assert settings.chroma_path == tmp_path / "elsewhere" / "chroma"


def test_config_masks_keys(monkeypatch):
    monkeypatch.setenv("GROQ_API_KEY", "gsk_supersecretvalue123")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "supersecret" not in result.output and "123" not in result.output
    assert "groq_api_key" in result.output and "set (hidden)" in result.output


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("STYLIST_RESULTS_K=9\n")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    assert get_settings().results_k == 9


def _readme_configuration_names() -> set[str]:
    """Every `NAME` in the first column of the README's Configuration table."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z0-9_]+)`", row.split("|")[1])}


def test_every_setting_is_documented_in_the_readme_configuration_table():
    from pydantic import AliasChoices

    from stylist.settings import StyleSettings

    documented = _readme_configuration_names()
    undocumented = []
    for name, field in StyleSettings.model_fields.items():
        alias = field.validation_alias
        variables = (
            {str(choice) for choice in alias.choices}
            if isinstance(alias, AliasChoices)
            else {f"STYLIST_{name.upper()}"}
        )
        if not variables & documented:
            undocumented.append(sorted(variables)[0])
    assert not undocumented, f"add {', '.join(undocumented)} to README.md's Configuration table"
