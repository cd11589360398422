"""The Stylist chat (Chainlit): callbacks only — the logic lives in `stylist.ui` and `stylist.agent`.

Run it with `stylist demo` (builds the demo first) or `chainlit run chainlit_app.py`.
Each browser chat gets its own agent session (thread id, photos, provider choices) in
`cl.user_session`, so two people chatting at once never see each other's photos.

People log in (password accounts of `stylist users`, or a trusted proxy's header when
STYLIST_HEADER_AUTH names it); their chats are kept in the app database and reopen from the
sidebar with their photos, elements, settings and the stylist's memory (`stylist.ui.history`).
"""

from __future__ import annotations

import chainlit as cl
from chainlit.server import app as chainlit_server
from chainlit.types import ThreadDict

from stylist.accounts.database import DatabaseUnavailable, prepare_app_database
from stylist.accounts.schema import SchemaTooNew
from stylist.accounts.secret import ensure_auth_secret
from stylist.agent import StylistSession
from stylist.settings import get_settings
from stylist.ui.access import mount_access_routes
from stylist.ui.catalog_images import mount_catalog_images
from stylist.ui.first_message import mark_named, name_first_interaction
from stylist.ui.forget import FORGOTTEN_SESSION, is_forgotten
from stylist.ui.history import make_data_layer
from stylist.ui.login import (
    ACCOUNT_GONE,
    account_is_known,
    header_login,
    password_login,
    signed_in_user_id,
)
from stylist.ui.photos import store_photos
from stylist.ui.readiness import readiness_notice
from stylist.ui.resume import restored_widgets, stored_settings
from stylist.ui.settings_panel import describe_choice, overrides_from_panel, panel_widgets
from stylist.ui.turn import stream_answer
from stylist.ui.wardrobe_actions import SAVE_ACTION, on_save_clicked
from stylist.ui.wardrobe_page import mount_wardrobe_page

mount_catalog_images(chainlit_server)
mount_access_routes(chainlit_server)
mount_wardrobe_page(chainlit_server)
ensure_auth_secret()  # signs the login cookies; made on first run, kept in the data dir
try:
    prepare_app_database()  # a fresh install or an older data dir: tables created / upgraded
except (DatabaseUnavailable, SchemaTooNew) as err:
    raise SystemExit(str(err)) from None


@cl.data_layer
def data_layer():
    return make_data_layer()


@cl.password_auth_callback
async def login(username: str, password: str) -> cl.User | None:
    return await password_login(username, password)


if get_settings().header_auth:  # only behind a proxy that sets (and strips) the header

    @cl.header_auth_callback
    async def proxy_login(headers) -> cl.User | None:
        return await header_login(headers)


WELCOME = (
    "Hi! I'm **Stylist**. Drop a photo of a garment (the paperclip button, or drag and drop) "
    "and I'll tell you what it is and find pieces that go with it — or just tell me what "
    "you're looking for, like "
    '*"a summer dress under 50"*.'
)
STARTERS = ["What goes with this?", "Find me a summer dress under 50", "Caption my photo"]


@cl.set_chat_profiles
async def chat_profiles(_user=None, _language=None) -> list[cl.ChatProfile]:
    # One profile: it is how Chainlit 2.12 shows a welcome text above the starters on the empty
    # chat screen (a welcome *message* would hide the starters).
    return [
        cl.ChatProfile(
            name="Stylist",
            markdown_description=WELCOME,
            icon="/public/stylist-icon.svg",
            default=True,
        )
    ]


@cl.set_starters
async def starters(_user=None, _language=None) -> list[cl.Starter]:
    return [cl.Starter(label=text, message=text) for text in STARTERS]


@cl.on_chat_start
async def start() -> None:
    if not account_is_known():
        await cl.Message(content=ACCOUNT_GONE, author="Stylist").send()
        return
    # The Chainlit thread id is unique per browser chat: it keys the agent's checkpoint too.
    cl.user_session.set(
        "stylist",
        StylistSession(thread_id=cl.context.session.thread_id, user_id=signed_in_user_id()),
    )
    cl.user_session.set("overrides", {})
    await cl.ChatSettings(panel_widgets()).send()
    notice = await cl.make_async(readiness_notice)()  # may open the Chroma store: a thread
    if notice:  # only then: a message on start replaces the welcome screen and its starters
        await cl.Message(content=notice, author="Stylist").send()


@cl.on_chat_resume
async def resume(thread: ThreadDict) -> None:
    # Nothing is sent as a message here (Chainlit would overwrite it, chainlit#2611): the
    # thread's messages and elements come back from the data layer, the agent's memory from
    # its checkpoint (same thread id), the settings from the thread's metadata.
    values = stored_settings(thread)
    cl.user_session.set(
        "stylist", StylistSession(thread_id=thread["id"], user_id=signed_in_user_id())
    )
    cl.user_session.set("overrides", overrides_from_panel(values))
    mark_named()  # Chainlit announced the reopened thread itself
    await cl.ChatSettings(restored_widgets(values)).send()


@cl.on_settings_update
async def settings_changed(values: dict) -> None:
    overrides = overrides_from_panel(values)
    cl.user_session.set("overrides", overrides)
    await cl.Message(
        content=f"Settings saved — from your next message on I'll use "
        f"{describe_choice(overrides)}.",
        author="Stylist",
    ).send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    if not account_is_known():
        await cl.Message(content=ACCOUNT_GONE, author="Stylist").send()
        return
    if is_forgotten():  # "forget me" was confirmed in this chat: it answers no more
        await cl.Message(content=FORGOTTEN_SESSION, author="Stylist").send()
        return
    session: StylistSession = cl.user_session.get("stylist")
    # First thing: copy the attached photos out of Chainlit's per-session upload folder.
    intake = await store_photos(session, message.elements)
    text = (message.content or "").strip()
    if intake.problems:  # a refused upload: say so, and go on with whatever else was sent
        await cl.Message(content="\n\n".join(intake.problems), author="Stylist").send()
        if not intake.photo_ids and not text:
            return
    await stream_answer(session, text, intake.photo_ids, cl.user_session.get("overrides"))
    await name_first_interaction(text)  # a photo alone: so the answer's thumbs work at once


@cl.action_callback(SAVE_ACTION)
async def save_to_wardrobe(action: cl.Action) -> None:
    if not account_is_known():
        await cl.Message(content=ACCOUNT_GONE, author="Stylist").send()
        return
    await on_save_clicked(action, signed_in_user_id(), cl.user_session.get("stylist"))
