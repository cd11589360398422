"""The app factory: `create_app(settings=None)` wires the routes, errors, keys and metrics.

`stylist serve` runs it with uvicorn (`stylist.api:create_app`, factory=True).
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from stylist.api.auth import Gatekeeper
from stylist.api.batching import MicroBatcher
from stylist.api.metrics import RequestMetrics
from stylist.api.problems import install_problem_handlers
from stylist.api.status import build_status_router
from stylist.api.v1 import ApiContext, build_router
from stylist.api.wardrobe_routes import build_wardrobe_router
from stylist.settings import StyleSettings, get_settings
from stylist.tools import operations

API_VERSION = "1.0.0"


def tag_in_batches(requests: list[tuple[str, Any, int]]) -> list[dict]:
    """Tags for (photo id, pixels, top_k) requests that arrived together: one pass per top_k."""
    by_top_k: dict[int, list[int]] = defaultdict(list)
    for position, (_, _, top_k) in enumerate(requests):
        by_top_k[top_k].append(position)
    answers: list[dict] = [{} for _ in requests]
    for top_k, positions in by_top_k.items():
        tagged = operations.tag_batch([requests[p][:2] for p in positions], top_k)
        for position, tags in zip(positions, tagged, strict=True):
            answers[position] = tags
    return answers


def create_app(settings: StyleSettings | None = None, *, batching: bool | None = None) -> FastAPI:
    """The API app. `settings` default to the process settings, read at each request (the
    tools layer always reads the process settings). `batching` overrides whether concurrent
    /v1/tag requests share an encoder pass (default: `api_batch_window_ms` > 0)."""

    def current() -> StyleSettings:
        return settings or get_settings()

    first = current()
    metrics = RequestMetrics()
    window_s = first.api_batch_window_ms / 1000.0 if batching is not False else 0.0
    if batching and window_s == 0:
        window_s = 0.004
    batcher = MicroBatcher(
        tag_in_batches,
        window_s=window_s,
        max_batch=first.api_batch_max,
        on_batch=metrics.batch_sizes.observe,
    )
    gatekeeper = Gatekeeper(current)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        batcher.close()
        await gatekeeper.aclose()

    app = FastAPI(
        title="Stylist API",
        description=(
            "Tag garment photos, caption them, search the product catalog (words, photos, "
            "filters, exclusions), complete outfits and chat with the stylist. Errors are RFC "
            "9457 problem JSON with a sentence in `detail`. Send an API key as "
            "`Authorization: Bearer <token>`."
        ),
        version=API_VERSION,
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.tag_batcher = batcher
    app.state.gatekeeper = gatekeeper

    @app.middleware("http")
    async def count_requests(request: Request, call_next):
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            # The route template ("/v1/items/{item_id}"), not the raw path, so that ids do not
            # explode the number of series; unknown paths share one bucket.
            route = request.scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            metrics.observe(request.method, template, status, time.perf_counter() - started)

    install_problem_handlers(app)
    app.include_router(build_status_router(current, metrics))
    context = ApiContext(current, metrics, batcher)
    app.include_router(build_router(context, gatekeeper))
    app.include_router(build_wardrobe_router(context, gatekeeper))
    return app
