"""`stylist users ...`, `stylist feedback export` and the demo's first-run account."""

from __future__ import annotations

import json
import stat

from typer.testing import CliRunner

from stylist.accounts.demo_account import ensure_demo_account
from stylist.cli import app

runner = CliRunner()
PASSWORD = "tweed jacket 42"


def users(*args, password=None):
    return runner.invoke(app, ["users", *args], input=None if password is None else password + "\n")


def test_users_add_list_set_password_and_remove(isolated_settings):
    added = users("add", "Ada", "--password-stdin", password=PASSWORD)
    assert added.exit_code == 0 and "Added ada" in added.output
    assert PASSWORD not in added.output

    # The hidden prompt asks twice; a typo the second time is caught.
    mistyped = runner.invoke(app, ["users", "add", "bob"], input="first one!\nsecond one\n")
    assert mistyped.exit_code != 0 and "Added" not in mistyped.output
    prompted = runner.invoke(app, ["users", "add", "bob"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0 and PASSWORD not in prompted.output

    listed = users("list")
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.output.splitlines()] == ["ada", "bob"]

    for refused, sentence in [
        (users("add", "ada", "--password-stdin", password=PASSWORD), "already a user called ada"),
        (users("add", "carol", "--password-stdin", password="short"), "at least 8 characters"),
        (users("set-password", "nobody", "--password-stdin", password=PASSWORD), "no user"),
        (users("remove", "nobody", "--yes"), "There is no user called nobody."),
    ]:
        assert refused.exit_code == 1 and sentence in refused.output
        assert "Traceback" not in refused.output

    changed = users("set-password", "ada", "--password-stdin", password="a different one")
    assert changed.exit_code == 0 and "Password changed for ada" in changed.output
    removed = users("remove", "ada", "--yes")
    assert removed.exit_code == 0 and "Removed ada" in removed.output
    assert [line.split()[0] for line in users("list").output.splitlines()] == ["bob"]


def test_feedback_export_on_an_empty_history_writes_an_empty_file(isolated_settings, tmp_path):
    out = tmp_path / "feedback.jsonl"
    result = runner.invoke(app, ["feedback", "export", "--out", str(out)])
    assert result.exit_code == 0 and out.read_text() == ""
    assert "Wrote 0 rated answer(s)" in result.output
    printed = runner.invoke(app, ["feedback", "export"])
    assert printed.exit_code == 0 and [json.loads(x) for x in printed.stdout.splitlines()] == []


def test_the_demo_account_is_made_once_and_never_shown_stale(isolated_settings):
    first = ensure_demo_account(isolated_settings)
    assert first.created and first.name == "demo" and len(first.password) >= 12
    kept = isolated_settings.data_dir / "demo-password"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    again = ensure_demo_account(isolated_settings)
    assert not again.created and again.password == first.password

    users("set-password", "demo", "--password-stdin", password="my own password")
    assert ensure_demo_account(isolated_settings).password is None  # no stale password shown


def test_make_demo_prints_how_to_log_in_before_serving(isolated_settings, monkeypatch):
    import os
    import socket

    import stylist.pipeline

    monkeypatch.setattr(stylist.pipeline, "build_demo", lambda settings, **kwargs: None)
    monkeypatch.setattr(os, "execvpe", lambda *args: None)  # instead of becoming chainlit
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = runner.invoke(app, ["demo", "--port", str(port)])
    assert result.exit_code == 0, result.output
    password = (isolated_settings.data_dir / "demo-password").read_text().strip()
    assert f"Log in as demo with password {password}" in result.output
    assert "created for this demo" in result.output
    second = runner.invoke(app, ["demo", "--port", str(port)])
    assert f"Log in as demo with password {password}" in second.output
    assert "created for this demo" not in second.output
