"""The v1 routes: tag, caption, search, items, outfit, chat — the stylist's tools over HTTP.

Every route calls `stylist.tools.operations` (the same functions the MCP server calls) and
answers plain JSON, or problem JSON with a sentence (`stylist.api.problems`). Blocking model and
index work runs in FastAPI's thread pool (plain `def` handlers); the chat turn is async and
streams server-sent events. The routes of the first API (`/tag`, `/search`,
`/items/{id}/image`) are the same handlers, kept at their old paths and marked deprecated.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from stylist.api.batching import MicroBatcher
from stylist.api.metrics import RequestMetrics
from stylist.api.problems import PROBLEM_JSON, PROBLEM_SCHEMA, Problem, problem_for
from stylist.catalog.schema import ATTRIBUTES
from stylist.settings import StyleSettings
from stylist.tools import operations

Photo = Annotated[UploadFile, File(description="A garment photo: JPEG, PNG, WebP or GIF.")]
TopK = Annotated[int, Query(ge=1, le=10, description="Labels per attribute.")]
ItemId = Annotated[int, Path(ge=0, le=2**62, description="A catalog item id.")]
PhotoId = Annotated[
    str | None,
    Field(None, pattern=r"^[0-9a-f]{64}$", description="The photo_id of a photo sent before."),
]
PhotoBytes = Annotated[
    str | None,
    Field(None, max_length=16_000_000, description="The photo itself, base64 or a data: URL."),
]
Text = Annotated[str | None, Field(None, max_length=500)]
ThreadId = Annotated[str | None, Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ValueList = str | list[Annotated[str, Field(max_length=80)]] | None

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": phrase, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
    for status, phrase in (
        (400, "The photo or request cannot be used (the sentence says why)."),
        (401, "The API key is missing or not valid."),
        (404, "No such item or photo."),
        (413, "The photo is too large."),
        (422, "A parameter is not valid, e.g. an unknown filter value."),
        (429, "Rate limited; see Retry-After."),
        (503, "A model or the index is not built yet."),
    )
}


@dataclass
class ApiContext:
    settings: Callable[[], StyleSettings]
    metrics: RequestMetrics
    tag_batcher: MicroBatcher


def answer(operation: str, metrics: RequestMetrics, work: Callable[[], Any]) -> Any:
    """Run one call of the tools layer, timed; its readable errors become problem JSON."""
    try:
        with metrics.timed(operation):
            return work()
    except Problem:
        raise
    except Exception as err:
        problem = problem_for(err)
        if problem is None:
            raise
        raise problem from None


# --- shapes ------------------------------------------------------------------------------------


class ExclusionFields(BaseModel):
    """Values to leave out, per attribute (one value or a list)."""

    exclude_gender: ValueList = None
    exclude_masterCategory: ValueList = None  # noqa: N815 - the catalog's column names
    exclude_subCategory: ValueList = None  # noqa: N815
    exclude_articleType: ValueList = None  # noqa: N815
    exclude_baseColour: ValueList = None  # noqa: N815
    exclude_season: ValueList = None
    exclude_usage: ValueList = None

    def exclusions(self) -> dict[str, Any]:
        return {
            a: getattr(self, f"exclude_{a}")
            for a in ATTRIBUTES
            if getattr(self, f"exclude_{a}") not in (None, "", [])
        }


class SearchRequest(ExclusionFields):
    model_config = ConfigDict(extra="forbid")

    q: Text = Field(None, description="What to look for, in words.")
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description="Attribute filters (gender, masterCategory, subCategory, articleType, "
        "baseColour, season, usage: a value or a list of values) and min_price / max_price.",
    )
    k: int = Field(10, ge=1, le=50)
    parse_filters: bool = Field(True, description="Also read filter words from q.")
    diverse: bool = False
    photo_id: PhotoId = None
    photo: PhotoBytes = None
    item_id: int | None = Field(None, ge=0, le=2**62, description="More like this item.")


class OutfitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: int | None = Field(None, ge=0, le=2**62, description="Build around this item.")
    photo_id: PhotoId = None
    photo: PhotoBytes = None
    style: Text = Field(None, description='e.g. "casual summer day", "office".')


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field("", max_length=4000)
    thread_id: ThreadId = Field(None, description="Continue this conversation (from `thread`).")
    photo_ids: list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(
        default_factory=list, max_length=8
    )
    photos: list[Annotated[str, Field(max_length=16_000_000)]] = Field(
        default_factory=list, max_length=8, description="Photos attached to this message (base64)."
    )


def with_image_url(product: dict[str, Any]) -> dict[str, Any]:
    return {**product, "image_url": f"/v1/items/{product['id']}/image"}


# --- the router --------------------------------------------------------------------------------


def build_router(ctx: ApiContext, guard: Callable) -> APIRouter:
    router = APIRouter(dependencies=[Depends(guard)], responses=ERRORS)
    metrics = ctx.metrics

    def read_upload(photo: UploadFile, receive=operations.store_photo):
        """Store an upload (validated); refuses a huge one after one byte over the limit."""
        limit = ctx.settings().upload_max_bytes
        data = photo.file.read(limit + 1)
        try:
            return answer("store_photo", metrics, lambda: receive(data))
        except Problem as problem:
            if problem.status in (400, 413):
                problem.status = 413 if len(data) > limit else 400
            raise

    def photo_of(photo_id: str | None, photo: str | None) -> str | None:
        if photo is not None:
            return answer(
                "store_photo",
                metrics,
                lambda: operations.photo_from_reference(photo, allow_paths=False),
            )
        if photo_id is not None:
            return answer("store_photo", metrics, lambda: operations.photo_from_reference(photo_id))
        return None

    @router.post("/v1/photos", summary="Store a photo; its photo_id works in every other route")
    def store_photo(photo: Photo) -> dict[str, Any]:
        return {"photo_id": read_upload(photo), "filename": photo.filename}

    def tag(photo: Photo, top_k: TopK = 3) -> dict[str, Any]:
        # Decoded once (validation and pixels), encoded with the other requests of its batch;
        # admitted from the start, so a batch knows this request is on its way.
        with ctx.tag_batcher.admitted():
            photo_id, pixels = read_upload(photo, operations.receive_upload)
            tags = answer("tag", metrics, lambda: ctx.tag_batcher.submit((photo_id, pixels, top_k)))
        return {"filename": photo.filename, **tags}

    router.add_api_route(
        "/v1/tag", tag, methods=["POST"], summary="A photo's 7 attributes with confidences"
    )
    router.add_api_route("/tag", tag, methods=["POST"], deprecated=True)

    @router.post("/v1/caption", summary="A one-line caption of a photo")
    def caption(photo: Photo) -> dict[str, Any]:
        photo_id = read_upload(photo)
        return answer("caption", metrics, lambda: operations.caption(photo_id))

    def run_search(request: SearchRequest) -> dict[str, Any]:
        photo_id = photo_of(request.photo_id, request.photo)
        found = answer(
            "search",
            metrics,
            lambda: operations.search(
                request.q,
                photo_id=photo_id,
                item_id=request.item_id,
                filters=request.filters,
                exclude=request.exclusions(),
                k=request.k,
                diverse=request.diverse,
                parse_filters=request.parse_filters,
            ),
        )
        found["results"] = [with_image_url(p) for p in found["results"]]
        return found

    def search_get(
        q: Annotated[str | None, Query(max_length=500)] = None,
        k: Annotated[int, Query(ge=1, le=50)] = 10,
        parse_filters: bool = True,
        diverse: bool = False,
        photo_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
        item_id: Annotated[int | None, Query(ge=0, le=2**62)] = None,
        gender: Annotated[str | None, Query(max_length=80)] = None,
        masterCategory: Annotated[str | None, Query(max_length=80)] = None,  # noqa: N803
        subCategory: Annotated[str | None, Query(max_length=80)] = None,  # noqa: N803
        articleType: Annotated[str | None, Query(max_length=80)] = None,  # noqa: N803
        baseColour: Annotated[str | None, Query(max_length=80)] = None,  # noqa: N803
        season: Annotated[str | None, Query(max_length=80)] = None,
        usage: Annotated[str | None, Query(max_length=80)] = None,
        min_price: Annotated[float | None, Query(ge=0, le=1e9)] = None,
        max_price: Annotated[float | None, Query(ge=0, le=1e9)] = None,
        exclude_gender: Annotated[list[str] | None, Query(max_length=20)] = None,
        exclude_masterCategory: Annotated[list[str] | None, Query(max_length=20)] = None,  # noqa: N803
        exclude_subCategory: Annotated[list[str] | None, Query(max_length=20)] = None,  # noqa: N803
        exclude_articleType: Annotated[list[str] | None, Query(max_length=20)] = None,  # noqa: N803
        exclude_baseColour: Annotated[list[str] | None, Query(max_length=20)] = None,  # noqa: N803
        exclude_season: Annotated[list[str] | None, Query(max_length=20)] = None,
        exclude_usage: Annotated[list[str] | None, Query(max_length=20)] = None,
    ) -> dict[str, Any]:
        values = locals()
        filters = {
            name: values[name] for name in operations.FILTER_FIELDS if values[name] is not None
        }
        exclusions = {f"exclude_{a}": values[f"exclude_{a}"] for a in ATTRIBUTES}
        return run_search(
            SearchRequest(
                q=q,
                filters=filters,
                k=k,
                parse_filters=parse_filters,
                diverse=diverse,
                photo_id=photo_id,
                item_id=item_id,
                **exclusions,
            )
        )

    def search_post(request: SearchRequest) -> dict[str, Any]:
        return run_search(request)

    summary = "Catalog products for words, a photo, both, or an item; filters and exclusions"
    router.add_api_route("/v1/search", search_get, methods=["GET"], summary=summary)
    router.add_api_route("/v1/search", search_post, methods=["POST"], summary=summary)
    router.add_api_route("/search", search_get, methods=["GET"], deprecated=True)
    router.add_api_route("/search", search_post, methods=["POST"], deprecated=True)

    @router.get("/v1/items/{item_id}", summary="One catalog item")
    def item(item_id: ItemId) -> dict[str, Any]:
        return with_image_url(answer("item", metrics, lambda: operations.item(item_id)))

    def item_image(item_id: ItemId) -> Any:
        try:
            path = answer("item", metrics, lambda: operations.item_image_path(item_id))
        except KeyError:
            raise Problem(404, f"There is no item {item_id} in the catalog.") from None
        if not path.is_file():
            raise Problem(404, f"The photo of item {item_id} is missing.")
        return FileResponse(path)

    router.add_api_route("/v1/items/{item_id}/image", item_image, methods=["GET"])
    router.add_api_route("/items/{item_id}/image", item_image, methods=["GET"], deprecated=True)

    @router.post("/v1/outfit", summary="An outfit around a catalog item or a photo")
    def outfit(request: OutfitRequest) -> dict[str, Any]:
        photo_id = photo_of(request.photo_id, request.photo)
        built = answer(
            "outfit",
            metrics,
            lambda: operations.outfit(
                photo_id=photo_id, item_id=request.item_id, style=request.style
            ),
        )
        for slot in built["slots"]:
            slot["product"] = with_image_url(slot["product"])
        return built

    @router.post(
        "/v1/chat",
        summary="One turn of the stylist, streamed as server-sent events",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def chat(request: ChatRequest) -> StreamingResponse:
        from stylist.agent import StylistSession

        photo_ids = list(request.photo_ids)
        for encoded in request.photos:
            photo_ids.append(await asyncio.to_thread(photo_of, None, encoded))
        for photo_id in request.photo_ids:
            await asyncio.to_thread(photo_of, photo_id, None)  # known, else a 400 sentence
        session = StylistSession(thread_id=request.thread_id)

        async def events() -> AsyncIterator[str]:
            yield _sse("thread", {"thread_id": session.thread_id})
            async for event in session.stream_turn(request.message, photo_ids):
                yield _sse(event.kind, event.to_dict())

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"X-Thread-Id": session.thread_id, "Cache-Control": "no-cache"},
        )

    return router


def _sse(kind: str, data: dict[str, Any]) -> str:
    """One server-sent event (JSON data on one line, so no `data:` continuation is needed)."""
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"
