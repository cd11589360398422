"""`stylist demo` and `stylist serve`: what they print and what they start."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from typer.testing import CliRunner

from stylist.cli import app

runner = CliRunner()


def test_demo_refuses_a_busy_port_with_a_sentence():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["demo", "--port", str(port)])
    assert result.exit_code == 2
    assert f"Port {port} is already in use" in result.output
    assert "Traceback" not in result.output


def test_demo_on_a_built_installation_skips_the_build_and_execs_chainlit(
    use_demo_world, monkeypatch
):
    started = {}

    def fake_exec(file, args, env):  # stands in for replacing this process with chainlit
        started.update(file=file, args=args, env=env, cwd=os.getcwd())

    monkeypatch.setattr(os, "execvpe", fake_exec)
    monkeypatch.setenv("CI", "true")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = runner.invoke(app, ["demo", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert "First run" not in result.output  # everything was already built
    assert "already built" in result.output
    assert f"http://localhost:{port}" in result.output
    assert "offline stylist" in result.output.lower()

    args = started["args"]
    assert args[1:5] == ["-m", "chainlit", "run", str(Path(started["cwd"]) / "chainlit_app.py")]
    assert args[5:] == ["-h", "--host", "127.0.0.1", "--port", str(port)]
    assert (Path(started["cwd"]) / ".chainlit" / "config.toml").is_file()
    assert "CI" not in started["env"]  # Chainlit's --ci mode would replace OPENAI_API_KEY
    assert started["env"]["STYLIST_DATA_DIR"] == str(Path(use_demo_world.data_dir).resolve())


def test_demo_says_what_the_first_build_will_do(tmp_path, monkeypatch):
    calls = {}

    def fake_build(settings, **kwargs):
        calls.update(kwargs)

    import stylist.pipeline

    monkeypatch.setattr(stylist.pipeline, "build_demo", fake_build)
    result = runner.invoke(app, ["demo", "--build-only", "--n", "200", "--quick"])
    assert result.exit_code == 0, result.output
    assert "First run: building the product catalog" in result.output
    assert "about a minute" in result.output
    assert calls["n"] == 200 and calls["quick"] is True


def test_serve_runs_the_api_factory_with_uvicorn(monkeypatch):
    import uvicorn

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: seen.update(target=target, **kw))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = runner.invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert seen == {
        "target": "stylist.api:create_app",
        "factory": True,
        "host": "127.0.0.1",
        "port": port,
    }
