"""The HTTP API against the quick-built demo installation: real tagger, real Chroma index."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from stylist.catalog.schema import ATTRIBUTES


@pytest.fixture
def client(use_demo_world):
    from stylist.api import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def demo_item(use_demo_world):
    from stylist.catalog.store import get_catalog

    catalog = get_catalog(use_demo_world)
    return catalog.items.iloc[0].to_dict()


def test_health_reports_what_is_built(client, use_demo_world):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["ready"] == {"tag": True, "search": True}
    assert all(body["built"].values())


def test_health_says_what_is_missing_in_an_empty_data_dir(tmp_path):
    from stylist.api import create_app
    from stylist.settings import StyleSettings

    with TestClient(create_app(StyleSettings(data_dir=tmp_path / "empty"))) as empty:
        body = empty.get("/health").json()
        assert body["ready"] == {"tag": False, "search": False}
        response = empty.get("/search", params={"q": "red dress"})
    assert response.status_code == 503
    assert "stylist" in response.json()["detail"]  # names the command that builds it


def test_tag_a_demo_photo_returns_all_seven_attributes(client, demo_item):
    with open(demo_item["image"], "rb") as photo:
        response = client.post(
            "/tag", files={"photo": ("item.jpg", photo, "image/jpeg")}, params={"top_k": 2}
        )
    assert response.status_code == 200
    body = response.json()
    assert list(body["attributes"]) == list(ATTRIBUTES)
    for attribute, ranked in body["attributes"].items():
        assert 1 <= len(ranked) <= 2
        confidences = [r["confidence"] for r in ranked]
        assert confidences == sorted(confidences, reverse=True)
        assert all(0.0 <= c <= 1.0 for c in confidences)
        assert body["top"][attribute] == ranked[0]["label"]


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        (b"%PDF-1.4 definitely not a photo", 400, "not an image"),
        (b"", 400, "empty"),
        (None, 400, "corrupt"),  # a truncated JPEG, built below
    ],
)
def test_tag_refuses_hostile_uploads_with_a_sentence(client, demo_item, payload, status, words):
    if payload is None:
        with open(demo_item["image"], "rb") as f:
            payload = f.read()[:300]
    response = client.post("/tag", files={"photo": ("x.jpg", payload, "image/jpeg")})
    assert response.status_code == status
    detail = response.json()["detail"]
    assert words in detail.lower()
    assert "Traceback" not in detail and detail.endswith(".")


def test_tag_refuses_an_oversized_upload_with_413(client, monkeypatch, use_demo_world):
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_UPLOAD_MAX_BYTES", "2048")
    get_settings.cache_clear()
    buffer = io.BytesIO()
    Image.effect_noise((200, 200), 80).convert("RGB").save(buffer, "PNG")
    response = client.post("/tag", files={"photo": ("big.png", buffer.getvalue(), "image/png")})
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_tag_without_a_file_explains_the_form_field(client):
    response = client.post("/tag")
    assert response.status_code == 422
    assert "'photo'" in response.json()["detail"]


def test_search_with_filters_returns_only_matching_products(client, use_demo_world):
    from stylist.catalog.store import get_catalog

    catalog = get_catalog(use_demo_world)
    gender = catalog.known_values("gender")[0]
    prices = catalog.items[catalog.items["gender"] == gender]["price"]
    ceiling = float(prices.median())
    response = client.get(
        "/search", params={"q": "casual", "gender": gender, "max_price": ceiling, "k": 8}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["filters"]["gender"] == gender
    assert body["count"] == len(body["results"]) > 0
    for product in body["results"]:
        assert product["attributes"]["gender"] == gender
        assert product["price"] <= ceiling
        assert product["image_url"] == f"/v1/items/{product['id']}/image"
    image = client.get(body["results"][0]["image_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"


def test_search_post_reads_filter_words_from_the_query(client, use_demo_world):
    from stylist.catalog.store import get_catalog

    catalog = get_catalog(use_demo_world)
    colour = catalog.known_values("baseColour")[0]
    response = client.post("/search", json={"q": f"{colour.lower()} items under 80", "k": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["filters"]["baseColour"] == colour
    assert body["filters"]["max_price"] == 80
    assert all(
        p["attributes"]["baseColour"] == colour and p["price"] <= 80 for p in body["results"]
    )


def test_search_with_an_unknown_filter_value_names_the_known_ones(client):
    response = client.get("/search", params={"q": "dress", "baseColour": "Scarlettish"})
    assert response.status_code == 422
    assert "Scarlettish" in response.json()["detail"]

    response = client.post("/search", json={"q": "dress", "filters": {"fabric": "silk"}})
    assert response.status_code == 422
    assert "fabric" in response.json()["detail"]

    response = client.get("/search")
    assert response.status_code == 422


def test_metrics_count_requests_per_route(client, demo_item):
    client.get("/health")
    client.get("/health")
    client.get("/search", params={"q": "shirt", "k": 3})
    client.post("/tag", files={"photo": ("x.txt", b"not an image", "text/plain")})

    snapshot = client.get("/metrics").json()
    routes = {entry["method"] + " " + entry["route"]: entry for entry in snapshot["routes"]}
    assert routes["GET /health"]["count"] == 2
    assert routes["GET /search"]["by_status"] == {"200": 1}
    assert routes["POST /tag"]["by_status"] == {"400": 1}
    assert routes["GET /search"]["latency_ms"]["p50"] > 0
    assert snapshot["requests_total"] == 4  # the /metrics request itself is counted after

    text = client.get("/metrics", params={"format": "prometheus"}).text
    assert 'stylist_http_requests_total{method="GET",route="/health",status="200"} 2' in text
    assert 'stylist_http_request_seconds_count{method="POST",route="/tag"} 1' in text


def test_health_and_ready_count_an_index_without_items_as_not_built(use_demo_world, tmp_path):
    import shutil

    from stylist.api import create_app
    from stylist.vectorstore.client import get_chroma_client

    # The demo world's catalog and models, and a Chroma store that was opened but never filled.
    settings = use_demo_world.model_copy(update={"data_dir": tmp_path / "copy"})
    for part in (use_demo_world.items_path.parent, use_demo_world.models_dir):
        shutil.copytree(part, settings.data_dir / part.relative_to(use_demo_world.data_dir))
    get_chroma_client(settings).get_or_create_collection(
        settings.chroma_collection, embedding_function=None
    )
    with TestClient(create_app(settings)) as app:
        health = app.get("/health").json()
        ready = app.get("/ready")
    assert health["built"] == {
        "catalog": True,
        "encoder": True,
        "attribute_model": True,
        "index": False,
    }
    assert health["ready"] == {"tag": True, "search": False}
    assert ready.status_code == 503
    assert ready.json()["detail"].startswith("Not ready: the search index is not built")
    assert "stylist index" in ready.json()["detail"]


def test_ready_lists_everything_missing_in_an_empty_data_dir(tmp_path):
    from stylist.api import create_app
    from stylist.settings import StyleSettings

    with TestClient(create_app(StyleSettings(data_dir=tmp_path / "empty"))) as empty:
        response = empty.get("/ready")
        assert empty.get("/health").status_code == 200  # alive, though nothing is built
    assert response.status_code == 503
    assert (
        "the product catalog, the image encoder, the attribute model and the search index are "
        "not built" in response.json()["detail"]
    )


def test_ready_once_catalog_models_and_index_are_loaded(client, use_demo_world):
    from stylist.catalog.store import get_catalog

    response = client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["items"] == body["indexed"] == len(get_catalog(use_demo_world))


def test_metrics_are_the_prometheus_exposition_with_its_content_type(client):
    client.get("/health")
    response = client.get("/metrics", headers={"Accept": "text/plain"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    assert "# TYPE stylist_http_request_seconds histogram" in text
    buckets = [
        line for line in text.splitlines() if line.startswith("stylist_http_request_seconds_b")
    ]
    assert any('route="/health"' in line and 'le="+Inf"' in line for line in buckets)
    # Each app keeps its own registry: a second app starts from zero.
    from stylist.api import create_app

    with TestClient(create_app()) as other:
        assert "stylist_http_requests_total{" not in other.get("/metrics?format=prometheus").text
