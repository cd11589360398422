"""Tools about the conversation's photos: tag, caption, few-shot style classify and teach."""

from __future__ import annotations

import copy
from typing import Annotated, Any

from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import InjectedToolCallId, tool
from langgraph.prebuilt import InjectedState
from langgraph.types import Command
from pydantic import Field

from stylist.models.captioner import caption_image as make_caption
from stylist.tools import services
from stylist.tools.artifacts import tags_artifact, tags_summary
from stylist.tools.errors import ToolUserError
from stylist.tools.photos import (
    embedding_and_imagenet,
    photo_embedding,
    photo_embeddings,
    photo_ids_of,
    photo_pixels,
    pick_photo,
)
from stylist.wording import plural

PhotoRef = Annotated[
    str,
    Field(
        description='Which photo: "latest" (default), "photo 1", "photo 2", ... or "first".',
        max_length=80,
    ),
]


def predict_tags(photo_id: str, top_k: int = 3) -> dict[str, list[tuple[str, float]]]:
    """Ranked (label, probability) per attribute for one stored photo.

    A tagger built on the image encoder (the attribute heads) tags the photo's shared embedding,
    so tagging costs no second encoding; one that reads pixels itself (the CNN) gets the photo.
    """
    tagger = services.tagger()
    encoder = getattr(tagger, "encoder", None)
    if encoder is not None and hasattr(tagger, "predict_embedded"):
        # The mixed real-photo tagger reads both: the shared embedding and the pixels decoded
        # with it on upload.
        embedding, imagenet = embedding_and_imagenet(photo_id, encoder, tagger)
        pixels = photo_pixels(photo_id, tagger.pixel_size)
        return tagger.predict_embedded(
            [pixels],
            embedding[None, :].copy(),  # torch wants writable
            top_k,
            imagenet_probabilities=None if imagenet is None else imagenet[None, :],
        )[0]
    if encoder is not None and hasattr(tagger, "predict_embeddings"):
        embedding = photo_embedding(photo_id, encoder)[None, :].copy()  # torch wants writable
        return tagger.predict_embeddings(embedding, top_k)[0]
    pixels = photo_pixels(photo_id, getattr(tagger, "pixel_size", None))
    return tagger.predict([pixels], top_k=top_k)[0]


@tool(response_format="content_and_artifact")
def tag_image(
    state: Annotated[dict, InjectedState],
    photo: PhotoRef = "latest",
    top_k: Annotated[int, Field(ge=1, le=5, description="labels per attribute")] = 3,
) -> tuple[str, dict[str, Any]]:
    """Identify a garment photo: gender, category, sub-category, article type, colour, season
    and usage, each with a confidence between 0 and 1. Use this before advising on a photo."""
    photo_id, label = pick_photo(state, photo)
    ranked = predict_tags(photo_id, top_k)
    return tags_summary(label, ranked), tags_artifact(photo_id, label, ranked)


@tool(response_format="content_and_artifact")
def caption_image(
    state: Annotated[dict, InjectedState],
    photo: PhotoRef = "latest",
) -> tuple[str, dict[str, Any]]:
    """Write a short one-line fashion caption for a photo (type, colour, fit, pattern, use)."""
    photo_id, label = pick_photo(state, photo)
    ranked = predict_tags(photo_id, top_k=3)
    encoder = services.encoder()
    # The captioner ranks its descriptors against the photo's embedding, the shared one.
    caption = make_caption(photo_embedding(photo_id, encoder), ranked, encoder=encoder)
    artifact = {"kind": "caption", "photo_id": photo_id, "photo": label, "caption": caption}
    return f"Caption for {label}: {caption}", artifact


def _taught_head(state: dict | None):
    """The trained few-shot head plus the styles taught in this conversation (a private copy)."""
    head = services.fewshot_head()
    styles = (state or {}).get("styles") or {}
    if not styles:
        return head, []
    head = copy.deepcopy(head)  # never teach the shared instance: styles belong to one chat
    for style, photo_ids in styles.items():
        head.teach(style, photo_embeddings(photo_ids, head.encoder))
    return head, sorted(styles)


def _predict_styles(head, photo_id: str, top_k: int) -> list[tuple[str, float]]:
    features = photo_embedding(photo_id, head.encoder)[None, :].copy()  # torch wants writable
    return [(str(label), float(p)) for label, p in head.predict(features, top_k=top_k)[0]]


@tool(response_format="content_and_artifact")
def classify_fewshot(
    state: Annotated[dict, InjectedState],
    photo: PhotoRef = "latest",
    top_k: Annotated[int, Field(ge=1, le=10)] = 3,
) -> tuple[str, dict[str, Any]]:
    """Say which style or article type a photo is closest to, including styles the person taught
    in this conversation with teach_style (e.g. their own "boho" style)."""
    photo_id, label = pick_photo(state, photo)
    head, taught = _taught_head(state)
    ranked = _predict_styles(head, photo_id, top_k)
    listed = ", ".join(f"{name} {p:.2f}" for name, p in ranked)
    artifact = {
        "kind": "fewshot",
        "mode": "classify",
        "photo_id": photo_id,
        "predictions": [{"label": name, "confidence": round(p, 4)} for name, p in ranked],
        "label": None,
        "photo_ids": [],
        "styles": taught,
    }
    return f"{label} is closest to: {listed}.", artifact


def _photos_of_last_message(state: dict | None) -> list[str]:
    for message in reversed((state or {}).get("messages") or []):
        if isinstance(message, HumanMessage):
            return list(message.additional_kwargs.get("photo_ids") or [])
    return []


@tool
def teach_style(
    label: Annotated[
        str,
        Field(
            min_length=1, max_length=40, description='the style name the person used, e.g. "boho"'
        ),
    ],
    state: Annotated[dict, InjectedState],
    tool_call_id: Annotated[str, InjectedToolCallId],
    photos: Annotated[
        list[str] | None,
        Field(
            max_length=20,
            description='example photos, e.g. ["photo 1", "photo 2"]; default: the photos '
            "attached to the latest message, else the latest photo",
        ),
    ] = None,
) -> Command:
    """Learn a new style (or add examples to one) from photos in this conversation, so that
    classify_fewshot can recognise it later. Use when the person says e.g. "this is my 'boho'
    style"."""
    name = " ".join(label.strip().strip("'\"“”‘’").split())
    if not name:
        raise ToolUserError("The style needs a name, e.g. 'boho'.")
    if photos:
        photo_ids = list(dict.fromkeys(pick_photo(state, ref)[0] for ref in photos))
    else:
        photo_ids = _photos_of_last_message(state) or [pick_photo(state, "latest")[0]]
    # Teach a private copy now: proves the examples are usable before the style is recorded.
    head, taught = _taught_head(state)
    head = copy.deepcopy(head) if not taught else head
    head.teach(name, photo_embeddings(photo_ids, head.encoder))
    styles = sorted({*taught, name})
    ids = photo_ids_of(state)
    numbers = [f"photo {ids.index(pid) + 1}" for pid in photo_ids if pid in ids]
    content = (
        f"Learned the style '{name}' from {plural(len(photo_ids), 'example photo')} "
        f"({', '.join(numbers)}). Styles taught in this conversation: {', '.join(styles)}."
    )
    artifact = {
        "kind": "fewshot",
        "mode": "teach",
        "photo_id": photo_ids[-1],
        "predictions": [],
        "label": name,
        "photo_ids": photo_ids,
        "styles": styles,
    }
    return Command(
        update={
            "styles": {name: photo_ids},
            "messages": [
                ToolMessage(
                    content, artifact=artifact, name="teach_style", tool_call_id=tool_call_id
                )
            ],
        }
    )
