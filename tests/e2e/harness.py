"""Browser end-to-end harness: the real Chainlit app in a subprocess, driven by headless Chromium.

- `ChainlitServer` runs `chainlit run chainlit_app.py -h --port P` from the repository root (where
  .chainlit/, chainlit.md and public/ live) with `CI` removed from the environment (with CI set,
  Chainlit switches to its own --ci mode and overwrites OPENAI_API_KEY), on a free port, and
  waits until its /health answers.
- `ChatPage` wraps one browser page: log in, open the chat and wait for the session, send a
  message with photos, wait for the answer to finish, read what the page shows, save screenshots.
- `add_account` creates a password account with the real `stylist users add` command; every
  server of the e2e fixtures has `DEFAULT_LOGIN`, which `ChatPage` uses unless told otherwise.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


DEFAULT_LOGIN = ("tester", "e2e-tester-password")


def server_env(data_dir: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an app process (and of `stylist` commands run beside it)."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    for key in (
        "GROQ_API_KEY",
        "OPENAI_API_KEY",
        "STYLIST_GROQ_API_KEY",
        "STYLIST_OPENAI_API_KEY",
        "STYLIST_LLM_PROVIDER",
        "STYLIST_CHROMA_URL",
        "STYLIST_DATABASE_URL",
        "CHAINLIT_AUTH_SECRET",
    ):
        env.pop(key, None)
    env.update(
        STYLIST_DATA_DIR=str(data_dir),
        STYLIST_LLM_PROVIDER="offline",
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        ANONYMIZED_TELEMETRY="False",
        OMP_NUM_THREADS="1",  # two cores are shared with the test process and the browser
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(REPO),
    )
    env.update(extra_env or {})
    return env


def add_account(
    data_dir: Path, name: str, password: str, extra_env: dict[str, str] | None = None
) -> None:
    """`stylist users add NAME --password-stdin`; an account that already exists is fine."""
    result = subprocess.run(
        [sys.executable, "-m", "stylist.cli", "users", "add", name, "--password-stdin"],
        input=password + "\n",
        env=server_env(data_dir, extra_env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0 and "already a user" not in result.stderr:
        raise RuntimeError(f"stylist users add {name} failed: {result.stderr or result.stdout}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChainlitServer:
    """`chainlit run` of the real app against a given data dir; logs go to test-artifacts/e2e."""

    def __init__(self, data_dir: Path, name: str, extra_env: dict[str, str] | None = None):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = ARTIFACTS / f"chainlit-{name}.log"
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120.0) -> ChainlitServer:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        env = server_env(self.data_dir, self.extra_env)
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chainlit",
                "run",
                "chainlit_app.py",
                "-h",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"chainlit exited early; see {self.log_path}:\n"
                    + self.log_path.read_text()[-3000:]
                )
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"chainlit did not answer on {self.url} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


class ChatPage:
    """One person's chat in one browser page."""

    def __init__(self, page, url: str, name: str, login: tuple[str, str] | None = DEFAULT_LOGIN):
        self.page = page
        self.url = url
        self.name = name
        self.login = login
        self.shots = 0

    def sign_in(self) -> None:
        """Fill Chainlit's login form (shown when the browser has no valid session cookie)."""
        user, password = self.login
        self.page.fill("#email", user)
        self.page.fill("#password", password)
        self.page.click('button[type="submit"]')

    def open(self, path: str = "") -> ChatPage:
        self.page.goto(self.url + path)
        self.page.wait_for_selector("#chat-input, #email", timeout=60_000)
        if self.page.locator("#email").count() and self.login:
            self.sign_in()
            self.page.wait_for_selector("#chat-input", timeout=60_000)
            if path and not self.page.url.endswith(path):
                self.page.goto(self.url + path)
                self.page.wait_for_selector("#chat-input", timeout=60_000)
        # The settings button appears once on_chat_start has sent the settings panel: the
        # websocket session is up and uploads will be accepted.
        self.page.wait_for_selector("#chat-settings-open-modal", timeout=60_000)
        return self

    # --- reading the page ---------------------------------------------------------------------
    def assistant_messages(self):
        return self.page.locator('[data-step-type="assistant_message"]')

    def count_answers(self) -> int:
        return self.assistant_messages().count()

    def last_answer_text(self) -> str:
        return self.assistant_messages().last.inner_text()

    def busy(self) -> bool:
        return self.page.locator("#stop-button").count() > 0

    def wait_for_answer(self, previous: int, timeout: float = 120.0) -> str:
        """Wait for a new assistant message and for the run to finish; its text."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count_answers() > previous and not self.busy():
                time.sleep(0.5)  # elements attached by the final update
                if not self.busy():
                    return self.last_answer_text()
            time.sleep(0.25)
        self.screenshot("timeout")
        raise AssertionError(
            f"no finished answer within {timeout:.0f} s; last text: "
            f"{self.last_answer_text() if self.count_answers() else '(none)'}"
        )

    # --- acting -------------------------------------------------------------------------------
    def attach(self, *paths: Path) -> None:
        self.page.set_input_files("#upload-button-input", [str(p) for p in paths])
        # Uploads go to the server before the message can be sent; wait for the submit button.
        self.page.wait_for_function(
            "() => { const b = document.querySelector('#chat-submit'); return b && !b.disabled; }",
            timeout=30_000,
        )

    def send(self, text: str, photos: tuple[Path, ...] = (), timeout: float = 120.0) -> str:
        previous = self.count_answers()
        if photos:
            self.attach(*photos)
        self.page.fill("#chat-input", text)
        self.page.wait_for_function(
            "() => { const b = document.querySelector('#chat-submit'); return b && !b.disabled; }",
            timeout=30_000,
        )
        self.page.click("#chat-submit")
        return self.wait_for_answer(previous, timeout)

    def screenshot(self, label: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        safe = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{safe}.png"
        # Chainlit scrolls inside its own panel, so a full-page shot is just the viewport:
        # bring the newest answer's top into view first (elements sit below its text).
        if self.count_answers():
            self.last_answer().evaluate("e => e.scrollIntoView({block: 'start'})")
        self.page.screenshot(path=str(path))
        return path

    # --- what the custom elements show (data-* attributes of public/elements/*.jsx) -----------
    def last_answer(self):
        return self.assistant_messages().last

    def tags(self, scope=None) -> dict[str, tuple[str, float]]:
        rows = (scope or self.last_answer()).locator('[data-testid="tag-row"]')
        rows.first.wait_for(timeout=30_000)
        return {
            rows.nth(i).get_attribute("data-attribute"): (
                rows.nth(i).get_attribute("data-label"),
                float(rows.nth(i).get_attribute("data-confidence")),
            )
            for i in range(rows.count())
        }

    def product_cards(self, scope=None) -> list[dict[str, str]]:
        cards = (scope or self.last_answer()).locator('[data-testid="product-card"]')
        cards.first.wait_for(timeout=30_000)
        return [
            cards.nth(i).evaluate("e => Object.assign({}, e.dataset)") for i in range(cards.count())
        ]
