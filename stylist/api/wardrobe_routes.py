"""The /v1/wardrobe routes: the wardrobe of the user an API key acts for
(`stylist api-keys create NAME --user ACCOUNT`).

The owner is the key's user, never an id from the request; a key without one gets 403, and an
item id of anyone else's is 404 like a missing one (nothing says it exists). Saving, listing and
correcting go through the wardrobe tools' own functions (`list_wardrobe`, `save_photo`,
`apply_changes`, `corrected_attributes`), so a photo saved here is tagged, named and embedded
exactly as one saved in the chat.
"""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations, and the
# `Owned` dependency is made inside `build_wardrobe_router` (it needs the gatekeeper).
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from stylist.api.auth import Caller
from stylist.api.problems import PROBLEM_JSON, PROBLEM_SCHEMA, Problem
from stylist.api.v1 import ERRORS, ApiContext, answer
from stylist.tools import operations

NO_USER = "This API key does not act for a user; create one with --user (`stylist api-keys create NAME --user ACCOUNT`)."
WardrobeItemId = Annotated[int, Path(ge=0, le=2**62, description="A wardrobe item id.")]
Filter = Annotated[str | None, Query(max_length=80)]
WARDROBE_FILTERS = ("gender", "articleType", "baseColour", "season", "usage")


class WardrobeChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=80, description="A new name for the item.")
    corrections: dict[str, Annotated[str, Field(max_length=80)]] | None = Field(
        None,
        max_length=7,
        description='Attribute corrections, e.g. {"colour": "Black", "type": "Jeans"}.',
    )


def _corrections_form(text: str | None) -> dict[str, str] | None:
    """The `corrections` form field: a JSON object of attribute -> value."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise Problem(
            422, 'corrections is a JSON object of attribute -> value, e.g. {"colour": "Black"}.'
        )
    return value


def build_wardrobe_router(ctx: ApiContext, guard: Callable) -> APIRouter:
    from stylist.tools.wardrobe_backend import corrected_attributes
    from stylist.tools.wardrobe_tools import apply_changes, item_card, list_wardrobe, save_photo
    from stylist.wardrobe import Wardrobe

    forbidden = {
        "description": "The API key does not act for a user.",
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    }
    router = APIRouter(
        prefix="/v1/wardrobe", tags=["wardrobe"], responses={**ERRORS, 403: forbidden}
    )
    metrics = ctx.metrics

    def wardrobe_of(caller: Annotated[Caller, Depends(guard)]) -> Wardrobe:
        if not caller.user_id:
            raise Problem(403, NO_USER)
        return Wardrobe(ctx.settings(), caller.user_id)

    Owned = Annotated[Wardrobe, Depends(wardrobe_of)]

    @router.get("", summary="The items of the key's user, optionally filtered")
    def list_items(
        wardrobe: Owned,
        gender: Filter = None,
        articleType: Filter = None,  # noqa: N803 - the catalog's column names
        baseColour: Filter = None,  # noqa: N803
        season: Filter = None,
        usage: Filter = None,
    ) -> dict[str, Any]:
        values = locals()
        explicit = {a: values[a] for a in WARDROBE_FILTERS if values[a] is not None}
        _summary, artifact = answer(
            "wardrobe_list", metrics, lambda: list_wardrobe(wardrobe, explicit=explicit)
        )
        return {"items": artifact["items"], "filters": artifact["filters"]}

    @router.get("/{item_id}", summary="One wardrobe item")
    def get_item(wardrobe: Owned, item_id: WardrobeItemId) -> dict[str, Any]:
        return item_card(answer("wardrobe_item", metrics, lambda: wardrobe.item(item_id)))

    @router.post("", status_code=201, summary="Tag a photo and save it as a new item")
    def save_item(
        wardrobe: Owned,
        photo: Annotated[UploadFile | None, File(description="The garment photo.")] = None,
        photo_base64: Annotated[
            str | None,
            Form(max_length=16_000_000, description="Or the photo as base64 / a data: URL."),
        ] = None,
        name: Annotated[str | None, Form(max_length=80)] = None,
        corrections: Annotated[
            str | None, Form(max_length=2000, description='JSON, e.g. {"colour": "Black"}.')
        ] = None,
    ) -> dict[str, Any]:
        if (photo is None) == (photo_base64 is None):
            raise Problem(400, "Send one photo: a `photo` file upload or `photo_base64`.")
        fixes_asked = _corrections_form(corrections)
        if photo is not None:
            limit = ctx.settings().upload_max_bytes
            data = photo.file.read(limit + 1)
            store = lambda: operations.store_photo(data)  # noqa: E731
        else:
            store = lambda: operations.photo_from_reference(photo_base64, allow_paths=False)  # noqa: E731
        try:
            photo_id = answer("store_photo", metrics, store)
        except Problem as problem:
            if photo is not None and problem.status in (400, 413):
                problem.status = 413 if len(data) > limit else 400
            raise

        def save():
            fixes = corrected_attributes(fixes_asked)
            return save_photo(wardrobe, photo_id, "the photo", name=name, fixes=fixes)

        summary, artifact = answer("wardrobe_save", metrics, save)
        return {**artifact["items"][0], "summary": summary}

    @router.patch("/{item_id}", summary="Rename an item and/or correct its attributes")
    def change_item(
        wardrobe: Owned, item_id: WardrobeItemId, change: WardrobeChange
    ) -> dict[str, Any]:
        def change_it():
            item = wardrobe.item(item_id)  # another user's id: 404 before anything else
            fixes = corrected_attributes(change.corrections)
            if not (change.name and change.name.strip()) and not fixes:
                raise Problem(422, "Send a new name or attribute corrections to change.")
            return apply_changes(wardrobe, item, change.name, fixes)

        return item_card(answer("wardrobe_update", metrics, change_it))

    @router.delete("/{item_id}", summary="Remove an item (its rows and vectors)")
    def remove_item(wardrobe: Owned, item_id: WardrobeItemId) -> dict[str, Any]:
        answer("wardrobe_remove", metrics, lambda: wardrobe.remove([item_id]))
        return {"removed": item_id}

    return router
