"""Behind a reverse proxy that authenticates: the user named by STYLIST_HEADER_AUTH is signed in
without a login form, gets their own history, and anyone without the header still has to log in.
"""

from __future__ import annotations

from harness import ChainlitServer, ChatPage, add_account
from test_history_e2e import fresh_install, sidebar_threads

ADA = ("ada", "ada-password-1")


def test_the_proxys_user_is_signed_in_and_others_must_log_in(
    demo_world, tmp_path, request, browser
):
    from harness import demo_world_env

    data_dir = fresh_install(demo_world, tmp_path)
    env = {**demo_world_env(request.config), "STYLIST_HEADER_AUTH": "X-Forwarded-User"}
    add_account(data_dir, *ADA, extra_env=env)
    server = ChainlitServer(data_dir, name="header-auth", extra_env=env).start()
    proxied = browser.new_context(extra_http_headers={"X-Forwarded-User": "Carol"})
    direct = browser.new_context()
    try:
        carol = ChatPage(proxied.new_page(), server.url, "header-carol", login=None).open()
        assert carol.page.locator("#email").count() == 0  # no login form behind the proxy
        answer = carol.send("Find me a summer dress under 50")
        assert answer
        carol.page.reload()
        carol.page.wait_for_selector("#chat-input", timeout=60_000)
        assert list(sidebar_threads(carol).values()) == ["Find me a summer dress under 50"]

        # Without the header: the login form; a password account still works, and sees
        # nothing of carol's.
        ada = ChatPage(direct.new_page(), server.url, "header-ada", login=ADA)
        ada.page.goto(server.url)
        ada.page.wait_for_selector("#email", timeout=60_000)
        ada.open()
        assert sidebar_threads(ada) == {}
        assert "Traceback" not in server.log_text()
    finally:
        proxied.close()
        direct.close()
        server.stop()
