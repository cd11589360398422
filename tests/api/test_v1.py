"""The v1 routes against the quick-built demo installation: real tagger, real Chroma index."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from test_images import ELF, encode, jpeg_declaring, noise, png_declaring, zip_bytes

from stylist.catalog.schema import ATTRIBUTES

# The hostile corpus of tests/test_images.py, as uploads: each must get a sentence, never a 500.
HOSTILE_PHOTOS = {
    "empty": b"",
    "text": b"Hello, this is a text file.\n" * 10,
    "elf": ELF,
    "zip": zip_bytes(),
    "bmp": encode(Image.new("RGB", (16, 16), (200, 0, 0)), "BMP"),
    "truncated-jpeg": encode(noise((96, 96)), "JPEG")[:600],
    "png-bomb": png_declaring(60_000, 60_000),
    "jpeg-bomb": jpeg_declaring(30_000, 30_000),
    "jpeg-soi-only": b"\xff\xd8\xff",
}


@pytest.fixture
def client(use_demo_world):
    from stylist.api import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def demo_items(use_demo_world):
    from stylist.catalog.store import get_catalog

    return get_catalog(use_demo_world).items


def photo_bytes(items, row: int = 0) -> bytes:
    with open(items.iloc[row]["image"], "rb") as f:
        return f.read()


def test_v1_tag_gives_seven_attributes_and_a_photo_id(client, demo_items):
    response = client.post(
        "/v1/tag", files={"photo": ("a.jpg", photo_bytes(demo_items), "image/jpeg")}
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body["attributes"]) == list(ATTRIBUTES)
    assert len(body["photo_id"]) == 64
    for attribute, ranked in body["attributes"].items():
        assert body["top"][attribute] == ranked[0]["label"]
        assert all(0.0 <= r["confidence"] <= 1.0 for r in ranked)


def test_concurrent_tags_share_one_forward_pass_and_match_single_answers(
    use_demo_world, demo_items, monkeypatch
):
    from concurrent.futures import ThreadPoolExecutor

    from stylist.api import create_app
    from stylist.tools import services

    encoder = services.tagger().encoder
    passes = []
    encode_images = encoder.encode_images

    def counted(images, *args, **kwargs):
        passes.append(len(images))
        return encode_images(images, *args, **kwargs)

    monkeypatch.setattr(encoder, "encode_images", counted)
    uploads = [photo_bytes(demo_items, row) for row in range(6)]
    with TestClient(create_app(batching=False)) as single:
        alone = [
            single.post("/v1/tag", files={"photo": ("p.jpg", data, "image/jpeg")}).json()
            for data in uploads
        ]
    assert passes == [1] * 6
    passes.clear()
    app = create_app(batching=True)
    app.state.tag_batcher.window_s = 0.25  # long enough that the six requests meet
    with TestClient(app) as batched, ThreadPoolExecutor(6) as pool:
        together = list(
            pool.map(
                lambda data: batched.post(
                    "/v1/tag", files={"photo": ("p.jpg", data, "image/jpeg")}
                ).json(),
                uploads,
            )
        )
    assert sum(passes) == 6 and len(passes) < 6  # fewer forward passes than requests
    for one, other in zip(alone, together, strict=True):
        assert one["top"] == other["top"]
        for attribute in ATTRIBUTES:
            pairs = zip(one["attributes"][attribute], other["attributes"][attribute], strict=True)
            for a, b in pairs:
                assert a["confidence"] == pytest.approx(b["confidence"], abs=1e-3)


@pytest.mark.parametrize("name", sorted(HOSTILE_PHOTOS))
def test_hostile_photos_get_a_sentence_in_problem_json(client, name):
    response = client.post(
        "/v1/tag", files={"photo": ("x.jpg", HOSTILE_PHOTOS[name], "image/jpeg")}
    )
    assert response.status_code in (400, 413)
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == response.status_code and problem["title"]
    assert problem["detail"].endswith(".") and "Traceback" not in problem["detail"]


def test_caption_is_a_short_sentence(client, demo_items):
    response = client.post(
        "/v1/caption", files={"photo": ("a.jpg", photo_bytes(demo_items), "image/jpeg")}
    )
    assert response.status_code == 200
    assert 1 <= len(response.json()["caption"].split()) <= 25


def test_search_exclusions_leave_values_out(client, demo_items):
    colours = demo_items["baseColour"].value_counts().index[:2].tolist()
    response = client.get(
        "/v1/search",
        params=[("q", "casual"), ("k", 30)] + [("exclude_baseColour", c) for c in colours],
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] > 0
    assert not {p["attributes"]["baseColour"] for p in body["results"]} & set(colours)
    assert body["filters"]["exclude_baseColour"] == colours
    posted = client.post(
        "/v1/search", json={"q": "casual", "k": 30, "exclude_baseColour": colours[0]}
    ).json()
    assert colours[0] not in {p["attributes"]["baseColour"] for p in posted["results"]}


def test_search_by_photo_and_by_photo_plus_words(client, demo_items):
    data = photo_bytes(demo_items, 3)
    by_photo = client.post(
        "/v1/search", json={"photo": base64.b64encode(data).decode(), "k": 5}
    ).json()
    assert int(demo_items.iloc[3]["id"]) == by_photo["results"][0]["id"]  # itself, first
    colour = demo_items["baseColour"].value_counts().index[0]
    with_words = client.post(
        "/v1/search", json={"photo_id": by_photo["photo_id"], "q": colour.lower(), "k": 5}
    ).json()
    assert with_words["filters"]["baseColour"] == colour
    assert all(p["attributes"]["baseColour"] == colour for p in with_words["results"])


def test_items_and_outfits(client, demo_items):
    item_id = int(demo_items.iloc[0]["id"])
    item = client.get(f"/v1/items/{item_id}").json()
    assert item["id"] == item_id and item["image_url"] == f"/v1/items/{item_id}/image"
    assert client.get(item["image_url"]).headers["content-type"] == "image/jpeg"
    missing = client.get("/v1/items/999999999")
    assert missing.status_code == 404 and "999999999" in missing.json()["detail"]

    outfit = client.post("/v1/outfit", json={"item_id": item_id, "style": "casual"}).json()
    assert outfit["anchor"]["item_id"] == item_id
    assert outfit["slots"] and all(s["product"]["id"] != item_id for s in outfit["slots"])
    from_photo = client.post(
        "/v1/outfit", json={"photo": base64.b64encode(photo_bytes(demo_items)).decode()}
    )
    assert from_photo.status_code == 200 and from_photo.json()["slots"]
    neither = client.post("/v1/outfit", json={})
    assert neither.status_code == 422 and neither.json()["detail"].endswith(".")


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_chat_turn_streams_events_and_continues_the_thread(client, demo_items):
    photo = base64.b64encode(photo_bytes(demo_items)).decode()
    with client.stream("POST", "/v1/chat", json={"message": "tag this", "photos": [photo]}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r.read().decode())
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "thread" and kinds[-1] == "final"
    thread_id = events[0][1]["thread_id"]
    assert r.headers["x-thread-id"] == thread_id
    assert "tool_end" in kinds
    tags = next(d for k, d in events if k == "tool_end" and d["tool"] == "tag_image")
    assert tags["artifact"]["kind"] == "tags"

    again = client.post("/v1/chat", json={"message": "find similar", "thread_id": thread_id})
    follow = sse_events(again.text)
    assert follow[0][1]["thread_id"] == thread_id
    assert any(k == "tool_end" and d["tool"] == "find_similar" for k, d in follow)


def test_old_routes_keep_working(client, demo_items):
    tagged = client.post("/tag", files={"photo": ("a.jpg", photo_bytes(demo_items), "image/jpeg")})
    assert tagged.status_code == 200 and list(tagged.json()["attributes"]) == list(ATTRIBUTES)
    assert client.get("/search", params={"q": "shirt"}).status_code == 200
    schema = client.get("/openapi.json").json()
    assert schema["paths"]["/tag"]["post"]["deprecated"] is True


def test_unknown_routes_and_bad_json_are_problems(client):
    for response in (
        client.get("/v2/nothing"),
        client.post(
            "/v1/search", content=b"{not json", headers={"content-type": "application/json"}
        ),
        client.post("/v1/search", json={"k": 0}),
    ):
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"].endswith(".")


def test_a_photo_turn_decodes_and_encodes_the_photo_once(client, demo_items, monkeypatch):
    import stylist.images
    from stylist.images import covering_size
    from stylist.models.combined_tagger import CombinedTagger
    from stylist.tools import services

    decodes, passes = [], []
    load_image = stylist.images.load_image
    encoder = services.encoder()
    encode_images = encoder.encode_images

    def counted_load(source, **kwargs):
        decodes.append(kwargs.get("draft"))
        return load_image(source, **kwargs)

    def counted_encode(images, *args, **kwargs):
        passes.append(len(images))
        return encode_images(images, *args, **kwargs)

    monkeypatch.setattr(stylist.images, "load_image", counted_load)
    monkeypatch.setattr(encoder, "encode_images", counted_encode)
    photo = base64.b64encode(photo_bytes(demo_items, 7)).decode()
    response = client.post("/v1/chat", json={"message": "", "photos": [photo]})
    tools = [d["tool"] for k, d in sse_events(response.text) if k == "tool_end" and d["ok"]]
    assert {"tag_image", "find_similar"} <= set(tools)
    # One decode, at a draft scale covering the encoder's input and, with the demo install's
    # real-photo tagger (an ImageNet network of its own), that network's: it reads the pixels
    # decoded on upload.
    tagger = services.tagger()
    expected = encoder.draft_size
    if isinstance(tagger, CombinedTagger):
        expected = covering_size(encoder.draft_size, tagger.pixel_size)
    assert decodes == [expected]
    assert passes == [1]  # one encoder pass, shared by every tool of the turn
