"""Every way in that should be refused is, with a sentence and nothing leaked — on the real app.

Wrong password, unknown user, an expired or forged session cookie, another user's thread
(read, rename, delete), a path-traversal photo id: HTTP requests against a running Chainlit
server, plus what a browser shows for the first and the third.
"""

from __future__ import annotations

import time
import urllib.parse

import jwt
import pytest
import requests_shim as http
from harness import ChainlitServer, ChatPage, add_account

ADA = ("ada", "ada-password-1")
BOB = ("bob", "bob-password-1")


@pytest.fixture(scope="module")
def server(demo_world, tmp_path_factory, request):
    from harness import demo_world_env
    from test_history_e2e import fresh_install

    data_dir = fresh_install(demo_world, tmp_path_factory.mktemp("refusals"))
    env = demo_world_env(request.config)
    for name, password in (ADA, BOB):
        add_account(data_dir, name, password, extra_env=env)
    server = ChainlitServer(data_dir, name="refusals", extra_env=env).start()
    yield server
    server.stop()


def secret_of(server) -> str:
    return (server.data_dir / "auth-secret").read_text().strip()


def cookie(server, name: str, *, key: str | None = None, expires_in: float = 3600) -> dict:
    now = time.time()
    claims = {
        "identifier": name,
        "metadata": {"provider": "password"},
        "display_name": None,
        "iat": int(now),
        "exp": int(now + expires_in),
    }
    return {"access_token": jwt.encode(claims, key or secret_of(server), algorithm="HS256")}


def test_wrong_password_and_unknown_user_get_the_same_refusal(server):
    wrong = http.post(server.url + "/login", form={"username": "ada", "password": "nope"})
    unknown = http.post(server.url + "/login", form={"username": "zed", "password": "nope"})
    assert wrong == unknown == (401, {"detail": "credentialssignin"})
    ok_status, _ = http.post(server.url + "/login", form={"username": "ADA", "password": ADA[1]})
    assert ok_status == 200
    log = server.log_text()
    assert "Traceback" not in log and ADA[1] not in log and "nope" not in log


def test_expired_and_forged_cookies_are_refused(server):
    assert http.get(server.url + "/user", cookies=cookie(server, "ada"))[0] == 200
    for bad in (
        cookie(server, "ada", expires_in=-60),  # expired
        cookie(server, "ada", key="not-the-server-key-" + "z" * 30),  # forged signature
        {"access_token": "garbage"},
    ):
        assert http.get(server.url + "/user", cookies=bad) == (
            401,
            {"detail": "Invalid authentication token"},
        )
        status, body = http.post_json(
            server.url + "/project/threads",
            {"pagination": {"first": 20}, "filter": {}},
            cookies=bad,
        )
        assert status == 401 and "Traceback" not in str(body)


def test_another_users_thread_and_bad_photo_ids_are_refused(server, new_context):
    ada = ChatPage(new_context().new_page(), server.url, "refusals-ada", login=ADA).open()
    ada.send("Find me a summer dress under 50")
    listed = http.post_json(
        server.url + "/project/threads",
        {"pagination": {"first": 20}, "filter": {}},
        cookies=cookie(server, "ada"),
    )[1]
    (thread,) = listed["data"]
    thread_id = thread["id"]
    bob = cookie(server, "bob")
    assert http.get(f"{server.url}/project/thread/{thread_id}", cookies=bob) == (
        401,
        {"detail": "Unauthorized"},
    )
    assert http.get(f"{server.url}/project/thread/no-such-thread", cookies=bob) == (
        404,
        {"detail": "Thread not found"},
    )
    rename = {"threadId": thread_id, "name": "mine now"}
    assert http.put_json(server.url + "/project/thread", rename, cookies=bob)[0] == 401
    assert (
        http.delete_json(server.url + "/project/thread", {"threadId": thread_id}, cookies=bob)[0]
        == 401
    )
    mine = http.get(f"{server.url}/project/thread/{thread_id}", cookies=cookie(server, "ada"))
    assert mine[0] == 200 and mine[1]["name"] == "Find me a summer dress under 50"

    for photo_id in ("../auth-secret", "..%2F..%2Fauth-secret", "%2e%2e/app.sqlite", "a" * 64):
        path = "/stylist/photos/" + photo_id
        assert http.get(server.url + path, cookies=bob) == (
            404,
            {"detail": "There is no such photo."},
        )
    assert http.get(server.url + "/stylist/photos/" + "a" * 64) == (
        401,
        {"detail": "Invalid authentication token"},
    )
    assert "Traceback" not in server.log_text()


def test_the_browser_says_why_a_login_failed_and_a_forged_cookie_gets_the_login_page(
    server, new_context
):
    context = new_context()
    page = context.new_page()
    chat = ChatPage(page, server.url, "refusals-login", login=("ada", "wrong password"))
    page.goto(server.url)
    page.wait_for_selector("#email", timeout=60_000)
    chat.sign_in()
    # Chainlit 2.12 words a refused login "Unable to sign in" (the same for an unknown user).
    page.get_by_text("Unable to sign in").first.wait_for(timeout=30_000)
    chat.screenshot("wrong-password")

    forged = new_context()
    host = urllib.parse.urlparse(server.url).hostname
    token = cookie(server, "ada", key="forged-key-" + "q" * 40)["access_token"]
    forged.add_cookies([{"name": "access_token", "value": token, "domain": host, "path": "/"}])
    page = forged.new_page()
    page.goto(server.url)
    page.wait_for_selector("#email", timeout=60_000)  # back to the login form, no chat
    assert page.locator("#chat-input").count() == 0
