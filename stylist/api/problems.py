"""Errors as RFC 9457 problem details: `application/problem+json` with a sentence in `detail`.

`{"type": "about:blank", "title": "Not Found", "status": 404, "detail": "There is no item 99 in
the catalog."}` — `title` is the status's phrase, `detail` the sentence a person can read (the
same text the chat would show). The errors of the layers below map to a status here, once.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# A documented shape for the OpenAPI schema (every error response of every route).
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
}


class Problem(Exception):
    """Raised by a route: answered as problem JSON with this status and sentence."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def problem_response(
    status: int, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
        },
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def problem_for(error: BaseException) -> Problem | None:
    """The status a known error of the layers below means, with its sentence; None if unknown."""
    from stylist.catalog.store import CatalogMissing
    from stylist.images import ImageRejected
    from stylist.models.errors import EncoderUnavailable, ModelMissing
    from stylist.tools.errors import ToolUserError
    from stylist.tools.photo_refs import PhotoNotFound
    from stylist.vectorstore.errors import IndexMissing, SearchError, UnknownItem
    from stylist.wardrobe import WardrobeItemMissing

    sentence = str(error)
    if isinstance(error, ImageRejected):
        too_large = "too large" in sentence or "larger than" in sentence or "limit is" in sentence
        return Problem(413 if too_large and "pixels" not in sentence else 400, sentence)
    if isinstance(error, CatalogMissing | ModelMissing | EncoderUnavailable | IndexMissing):
        return Problem(503, sentence)
    if isinstance(error, UnknownItem | PhotoNotFound | WardrobeItemMissing):
        return Problem(404, sentence)
    if isinstance(error, SearchError | ToolUserError):
        return Problem(422, sentence)
    return None


def _validation_sentence(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
        if err.get("type") == "missing" and where == "photo":
            return "Please upload a photo in the form field 'photo' (multipart/form-data)."
        message = str(err.get("msg", "invalid value")).rstrip(".")
        parts.append(f"{where or 'request'}: {message}")
    return "The request is not valid — " + "; ".join(parts) + "."


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def known_problem(_request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(422, _validation_sentence(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        sentences = {
            404: "There is nothing at this address; the API's routes are listed at /docs.",
            405: "This route does not take that method; the API's routes are listed at /docs.",
        }
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail.endswith(".") else None
        return problem_response(
            exc.status_code,
            detail or sentences.get(exc.status_code, HTTPStatus(exc.status_code).phrase + "."),
            getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        known = problem_for(exc)
        if known is not None:
            return problem_response(known.status, known.detail)
        # A sentence for the client; the traceback goes to the server log only.
        log.exception("unexpected error answering a request", exc_info=exc)
        return problem_response(500, "Something went wrong on the server; please try again.")
