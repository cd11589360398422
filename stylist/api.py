"""The HTTP API: tag a photo, search the catalog, health and metrics — for programs, not people.

`create_app(settings=None)` builds the FastAPI app; `stylist serve` runs it with uvicorn.

- `POST /tag` — multipart upload (field `photo`) → the 7 attributes, each a ranked list of
  `{label, confidence}`. A hostile or broken upload gets a 4xx with a sentence in `detail`.
- `GET /search?q=...&gender=...&max_price=...` and `POST /search` (JSON body `{q, filters, k}`)
  → products. Filter words in `q` ("red dresses under 50") become filters too unless
  `parse_filters` is false; explicit filters win over parsed ones.
- `GET /items/{id}/image` — the catalog photo of one item (the `image_url` of each result).
- `GET /health` — liveness: always 200, with what is built (catalog, models, index) and
  whether tagging/search can answer.
- `GET /ready` — readiness: 200 once the catalog, models and index are loaded; 503 with a
  sentence naming what is missing.
- `GET /metrics` — request counts and latencies per route, JSON, or the Prometheus exposition
  (prometheus_client) with `?format=prometheus` or an `Accept: text/plain` header.

Endpoints are plain `def`s: FastAPI runs them in its thread pool, so model and Chroma calls
never block the event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from typing import Annotated, Any

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from pydantic import BaseModel, Field

from stylist.catalog.schema import ATTRIBUTES
from stylist.install_status import built_parts, missing_parts
from stylist.latency import latency_summary
from stylist.settings import StyleSettings, get_settings
from stylist.wording import in_words

log = logging.getLogger(__name__)

FILTER_FIELDS: tuple[str, ...] = (*ATTRIBUTES, "min_price", "max_price")


# --- metrics ------------------------------------------------------------------------------


class RequestMetrics:
    """Counts and latencies per (method, route template, status), for Prometheus and as JSON.

    The counter and histogram live in a registry of this app's own (not prometheus_client's
    global one), so two apps in one process — tests, or an app rebuilt after a reload — never
    share series. The JSON view's quantiles come from the last `window` requests of each route,
    so memory stays bounded however long the server runs.
    """

    def __init__(self, window: int = 1000) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "stylist_http_requests",
            "HTTP requests by method, route and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self._seconds = Histogram(
            "stylist_http_request_seconds",
            "Time spent answering, by method and route.",
            ("method", "route"),
            registry=self.registry,
        )
        self._lock = threading.Lock()
        self._recent: dict[tuple[str, str], deque[float]] = defaultdict(
            lambda: deque(maxlen=window)
        )
        self.started = time.time()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self._requests.labels(method, route, str(status)).inc()
        self._seconds.labels(method, route).observe(seconds)
        with self._lock:
            self._recent[(method, route)].append(seconds)

    def _samples(self, metric: Counter | Histogram, name: str) -> list[tuple[dict, float]]:
        return [
            (sample.labels, sample.value)
            for family in metric.collect()
            for sample in family.samples
            if sample.name == name
        ]

    def snapshot(self) -> dict[str, Any]:
        routes: dict[tuple[str, str], dict[str, Any]] = {}
        counts = self._samples(self._requests, "stylist_http_requests_total")
        for labels, n in sorted(counts, key=lambda s: (s[0]["method"], s[0]["route"])):
            method, route = labels["method"], labels["route"]
            entry = routes.setdefault(
                (method, route),
                {"method": method, "route": route, "count": 0, "by_status": {}},
            )
            entry["count"] += int(n)
            entry["by_status"][labels["status"]] = int(n)
        for labels, total in self._samples(self._seconds, "stylist_http_request_seconds_sum"):
            entry = routes.get((labels["method"], labels["route"]))
            if entry is not None:
                entry["seconds_total"] = round(total, 6)
        with self._lock:
            recent = {key: list(values) for key, values in self._recent.items()}
        for key, entry in routes.items():
            window = recent.get(key, [])
            summary = latency_summary(window)
            entry["latency_ms"] = {
                "p50": summary["p50_ms"],
                "p95": summary["p95_ms"],
                "max": round(max(window) * 1000, 3) if window else 0.0,
            }
        return {
            "uptime_s": round(time.time() - self.started, 3),
            "requests_total": sum(entry["count"] for entry in routes.values()),
            "routes": list(routes.values()),
        }

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The Prometheus (or OpenMetrics, if asked for) text and its content type."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


# --- request / response shapes -----------------------------------------------------------


class SearchRequest(BaseModel):
    q: str | None = Field(None, max_length=500, description="What to look for, in words.")
    filters: dict[str, Any] = Field(default_factory=dict, description="Attribute filters.")
    k: int = Field(10, ge=1, le=50)
    parse_filters: bool = Field(True, description="Also read filter words from q.")
    diverse: bool = False


def _product_json(product: Any) -> dict[str, Any]:
    data = product.model_dump() if hasattr(product, "model_dump") else dict(product)
    data["image_url"] = f"/items/{data['id']}/image"
    return data


# --- error sentences ----------------------------------------------------------------------


def _error_response(status: int, sentence: str) -> JSONResponse:
    return JSONResponse({"detail": sentence}, status_code=status)


def _not_ready_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean "something is not built yet" (503), imported lazily: torch and
    Chroma load only when the first tag or search request needs them."""
    from stylist.catalog.store import CatalogMissing
    from stylist.models.errors import EncoderUnavailable, ModelMissing

    errors: list[type[BaseException]] = [CatalogMissing, ModelMissing, EncoderUnavailable]
    try:
        from stylist.vectorstore import IndexMissing

        errors.append(IndexMissing)
    except ImportError:  # search not installed/built in this tree: nothing to catch
        pass
    return tuple(errors)


def _validation_sentence(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
        if err.get("type") == "missing" and where == "photo":
            return "Please upload a photo in the form field 'photo' (multipart/form-data)."
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid value')}")
    return "The request is not valid — " + "; ".join(parts) + "."


# --- the app ------------------------------------------------------------------------------


def create_app(settings: StyleSettings | None = None) -> FastAPI:
    """The API app. `settings` default to the process settings, read at each request."""

    def current() -> StyleSettings:
        return settings or get_settings()

    app = FastAPI(
        title="Stylist API",
        description="Tag garment photos and search the product catalog.",
        version="0.1.0",
    )
    metrics = RequestMetrics()
    app.state.metrics = metrics

    @app.middleware("http")
    async def count_requests(request: Request, call_next):
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            # The route template ("/items/{item_id}/image"), not the raw path, so that ids do
            # not explode the number of series; unknown paths share one bucket.
            route = request.scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            metrics.observe(request.method, template, status, time.perf_counter() - started)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error_response(422, _validation_sentence(exc))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # A sentence for the client; the traceback goes to the server log only.
        log.exception("unexpected error answering a request", exc_info=exc)
        return _error_response(500, "Something went wrong on the server; please try again.")

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Liveness, plus what is built: always 200 while the process answers."""
        s = current()
        checks = built_parts(s)
        return {
            "status": "ok",
            "ready": {
                "tag": checks["encoder"] and checks["attribute_model"],
                "search": checks["catalog"] and checks["encoder"] and checks["index"],
            },
            "built": checks,
            "data_dir": str(s.data_dir),
        }

    @app.get("/ready")
    def ready() -> JSONResponse:
        """Readiness: 200 once the catalog, the models and the index are loaded, else 503 with
        what is missing. Loading happens here (once per process), so a load balancer that
        waits for 200 sends the first real request to a warm process."""
        s = current()
        missing = missing_parts(s)
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            return _error_response(
                503,
                f"Not ready: {in_words(missing)} {verb} not built in {s.data_dir}. Run "
                "`stylist demo --build-only` for the demo, or `stylist ingest`, `stylist train` "
                "and `stylist index` for your own catalog.",
            )
        try:
            from stylist.catalog.store import get_catalog
            from stylist.models.taggers import load_tagger
            from stylist.vectorstore import SearchError, get_index

            items = len(get_catalog(s))
            load_tagger(s)
            indexed = get_index(s).count()
        except (*_not_ready_errors(), SearchError) as err:  # e.g. built with another encoder
            return _error_response(503, f"Not ready: {err}")
        return JSONResponse({"status": "ready", "items": items, "indexed": indexed})

    @app.get("/metrics")
    def metrics_endpoint(request: Request, format: str | None = Query(None)) -> Response:
        accept = request.headers.get("accept", "")
        wants_text = format == "prometheus" or (
            format is None and ("text/plain" in accept or "openmetrics" in accept)
        )
        if wants_text:
            body, content_type = metrics.exposition(accept)
            return Response(body, media_type=content_type)
        return JSONResponse(metrics.snapshot())

    @app.post("/tag")
    def tag(
        photo: Annotated[UploadFile, File(description="A garment photo: JPEG, PNG or WebP.")],
        top_k: Annotated[int, Query(ge=1, le=10)] = 3,
    ) -> Any:
        from stylist.images import ImageRejected, load_image

        s = current()
        # Read at most one byte over the limit: a huge upload is refused without holding it.
        data = photo.file.read(s.upload_max_bytes + 1)
        try:
            image = load_image(data, max_bytes=s.upload_max_bytes, max_pixels=s.upload_max_pixels)
        except ImageRejected as err:
            status = 413 if len(data) > s.upload_max_bytes else 400
            return _error_response(status, str(err))
        try:
            from stylist.models.taggers import load_tagger

            ranked = load_tagger(s).predict([image], top_k=top_k)[0]
        except _not_ready_errors() as err:
            return _error_response(503, str(err))
        attributes = {
            attr: [
                {"label": str(label), "confidence": round(float(p), 4)} for label, p in ranked[attr]
            ]
            for attr in ATTRIBUTES
            if attr in ranked
        }
        return {
            "filename": photo.filename,
            "attributes": attributes,
            "top": {attr: values[0]["label"] for attr, values in attributes.items() if values},
        }

    def run_search(request: SearchRequest) -> Any:
        from stylist.catalog.store import get_catalog
        from stylist.vectorstore import SearchError, SearchFilters, get_index, parse_query

        s = current()
        unknown = sorted(set(request.filters) - set(FILTER_FIELDS))
        if unknown:
            return _error_response(
                422,
                f"Unknown filter {', '.join(unknown)}; the filters are {', '.join(FILTER_FIELDS)}.",
            )
        explicit = {k: v for k, v in request.filters.items() if v not in (None, "", [])}
        text = (request.q or "").strip() or None
        try:
            catalog = get_catalog(s)
            merged: dict[str, Any] = {}
            if text and request.parse_filters:
                parsed = parse_query(text, catalog)
                merged.update(parsed.filters.model_dump(exclude_none=True))
                # The leftover words drive the embedding; filters alone still return items.
                text = parsed.remainder.strip() or text
            merged.update(explicit)
            filters = SearchFilters(**merged).validated(catalog)
            if not text and filters.is_empty():
                return _error_response(
                    422, "Tell me what to look for: a query `q`, filters, or both."
                )
            products = get_index(s).search(
                text=text or None, filters=filters, k=request.k, diverse=request.diverse
            )
        except _not_ready_errors() as err:
            return _error_response(503, str(err))
        except SearchError as err:  # unknown filter value, unknown item: the caller's to fix
            return _error_response(422, str(err))
        except ValueError as err:  # pydantic validation of a filter value (e.g. a negative price)
            return _error_response(422, f"Invalid filters: {err}".split("\n")[0])
        return {
            "query": request.q,
            "filters": filters.model_dump(exclude_none=True),
            "count": len(products),
            "results": [_product_json(p) for p in products],
        }

    @app.get("/search")
    def search_get(
        q: Annotated[str | None, Query(max_length=500)] = None,
        k: Annotated[int, Query(ge=1, le=50)] = 10,
        parse_filters: bool = True,
        diverse: bool = False,
        gender: str | None = None,
        masterCategory: str | None = None,
        subCategory: str | None = None,
        articleType: str | None = None,
        baseColour: str | None = None,
        season: str | None = None,
        usage: str | None = None,
        min_price: Annotated[float | None, Query(ge=0)] = None,
        max_price: Annotated[float | None, Query(ge=0)] = None,
    ) -> Any:
        values = locals()
        filters = {name: values[name] for name in FILTER_FIELDS if values[name] is not None}
        return run_search(
            SearchRequest(q=q, filters=filters, k=k, parse_filters=parse_filters, diverse=diverse)
        )

    @app.post("/search")
    def search_post(request: SearchRequest) -> Any:
        return run_search(request)

    @app.get("/items/{item_id}/image")
    def item_image(item_id: int) -> Any:
        from stylist.catalog.store import CatalogMissing, get_catalog

        try:
            path = get_catalog(current()).image_path(item_id)
        except CatalogMissing as err:
            return _error_response(503, str(err))
        except KeyError:
            return _error_response(404, f"There is no item {item_id} in the catalog.")
        if not path.is_file():
            return _error_response(404, f"The photo of item {item_id} is missing.")
        return FileResponse(path)

    return app


def __getattr__(name: str) -> Any:
    # `uvicorn stylist.api:app` works too; the app is built on first access only.
    if name == "app":
        return create_app()
    raise AttributeError(name)


__all__ = ["create_app", "RequestMetrics", "SearchRequest"]
