"""Who may fetch what over HTTP: the owner-checked photo route, and sign-in for catalog photos.

- GET /stylist/photos/{image_id}: a photo from the image store, only to a signed-in user who
  sent it (the ownership table of `stylist.accounts.photos`). Anything else — signed out, a
  forged or expired cookie, another user's photo, an id that is not one — is refused with a
  sentence; "no such photo" does not say whether it exists for someone else.
- /stylist/catalog-image/...: the product photos need a valid sign-in too (checked by a small
  ASGI middleware, so the catalog route itself stays as it is).
- PUT / DELETE /feedback: Chainlit stores a rating for any message id it is given; these routes,
  matched first, let a user rate (or unrate) only answers of their own threads, then hand over
  to Chainlit's.
Chainlit's own checks (thread author on /project/thread..., session owner on the socket) stay
in force; these cover the routes the project adds.
"""

from __future__ import annotations

from typing import Any

from chainlit.auth import get_current_user, get_token_from_cookies
from chainlit.auth.jwt import decode_jwt
from chainlit.data import get_data_layer
from chainlit.types import DeleteFeedbackRequest, UpdateFeedbackRequest
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security.utils import get_authorization_scheme_param
from PIL import Image
from starlette.requests import Request

from stylist.ui.artifacts import CATALOG_IMAGE_ROUTE, PHOTO_ROUTE

NO_SUCH_PHOTO = "There is no such photo."
NO_SUCH_MESSAGE = "There is no such message."
SIGN_IN_FIRST = "Please log in to see this."
CATALOG_PREFIX = CATALOG_IMAGE_ROUTE.split("{", 1)[0]


def _mime_of(path) -> str:
    try:
        with Image.open(path) as img:
            return Image.MIME.get(img.format or "", "application/octet-stream")
    except Exception:  # noqa: BLE001 - the store validated it on the way in
        return "application/octet-stream"


async def owned_photo(image_id: str, current_user: Any = Depends(get_current_user)):
    layer = get_data_layer()
    user_id = getattr(current_user, "id", None)  # a PersistedUser: signed in and known
    if layer is None or not user_id:
        raise HTTPException(401, SIGN_IN_FIRST)
    store = layer.storage_provider.store
    try:
        path = store.path(image_id)
    except ValueError:  # not a photo id at all (../, other characters...)
        raise HTTPException(404, NO_SUCH_PHOTO) from None
    if not await layer.photo_owners.owns(user_id, image_id) or not path.is_file():
        raise HTTPException(404, NO_SUCH_PHOTO)
    return FileResponse(
        path, media_type=_mime_of(path), headers={"Cache-Control": "private, max-age=3600"}
    )


async def _own_thread(thread_id: str | None, current_user: Any) -> bool:
    identifier = getattr(current_user, "identifier", None)
    if not thread_id or not identifier:
        return False
    return await get_data_layer().get_thread_author(thread_id) == identifier


async def owned_feedback_update(
    request: Request, update: UpdateFeedbackRequest, current_user: Any = Depends(get_current_user)
):
    from chainlit.server import update_feedback

    layer = get_data_layer()
    thread_id = await layer.thread_of_step(update.feedback.forId)
    if not await _own_thread(thread_id, current_user):
        raise HTTPException(404, NO_SUCH_MESSAGE)
    if update.feedback.id:  # an existing rating is changed: it must be on this same answer
        rated = await layer.thread_of_feedback(update.feedback.id)
        if rated is not None and rated != thread_id:
            raise HTTPException(404, NO_SUCH_MESSAGE)
    update.feedback.threadId = thread_id  # the stored thread, not the one the client named
    return await update_feedback(request, update, current_user)


async def owned_feedback_delete(
    request: Request, payload: DeleteFeedbackRequest, current_user: Any = Depends(get_current_user)
):
    from chainlit.server import delete_feedback

    thread_id = await get_data_layer().thread_of_feedback(payload.feedbackId)
    if not await _own_thread(thread_id, current_user):
        raise HTTPException(404, NO_SUCH_MESSAGE)
    return await delete_feedback(request, payload, current_user)


def signed_in(headers_cookies: Request) -> bool:
    token = get_token_from_cookies(headers_cookies.cookies)
    if not token:
        scheme, value = get_authorization_scheme_param(headers_cookies.headers.get("authorization"))
        token = value if scheme.lower() == "bearer" else None
    if not token:
        return False
    try:
        decode_jwt(token)  # checks the signature and the expiry
    except Exception:  # noqa: BLE001 - any bad token is simply "not signed in"
        return False
    return True


class SignedInOnly:
    """ASGI middleware: requests under `prefixes` need a valid Chainlit sign-in."""

    def __init__(self, app, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.prefixes = prefixes

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            if not signed_in(Request(scope)):
                response = JSONResponse({"detail": SIGN_IN_FIRST}, status_code=401)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def mount_access_routes(app: FastAPI) -> None:
    """The photo route (ahead of Chainlit's catch-all page route) and the catalog sign-in."""
    routes = app.router.routes
    if any(getattr(r, "path", None) == PHOTO_ROUTE for r in routes):
        return  # imported twice (Chainlit's hot reload)
    for path, endpoint, method in (
        (PHOTO_ROUTE, owned_photo, "GET"),
        ("/feedback", owned_feedback_update, "PUT"),
        ("/feedback", owned_feedback_delete, "DELETE"),
    ):
        app.add_api_route(path, endpoint, methods=[method], include_in_schema=False)
        routes.insert(0, routes.pop())
    app.add_middleware(SignedInOnly, prefixes=(CATALOG_PREFIX,))
