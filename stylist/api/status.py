"""Liveness, readiness and metrics: `/health`, `/ready`, `/metrics` (no key needed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from stylist.api.metrics import RequestMetrics
from stylist.api.problems import problem_response
from stylist.install_status import built_parts, missing_parts
from stylist.settings import StyleSettings
from stylist.wording import in_words


def build_status_router(current: Callable[[], StyleSettings], metrics: RequestMetrics):
    router = APIRouter()

    @router.get("/health")
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

    @router.get("/ready")
    def ready() -> Response:
        """Readiness: 200 once the catalog, the models and the index are loaded, else 503 with
        what is missing. Loading happens here (once per process), so a load balancer that
        waits for 200 sends the first real request to a warm process."""
        s = current()
        missing = missing_parts(s)
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            return problem_response(
                503,
                f"Not ready: {in_words(missing)} {verb} not built in {s.data_dir}. Run "
                "`stylist demo --build-only` for the demo, or `stylist ingest`, `stylist train` "
                "and `stylist index` for your own catalog.",
            )
        from stylist.catalog.store import CatalogMissing, get_catalog
        from stylist.models.errors import EncoderUnavailable, ModelMissing
        from stylist.models.taggers import load_tagger
        from stylist.vectorstore import SearchError, get_index

        try:
            items = len(get_catalog(s))
            load_tagger(s)
            indexed = get_index(s).count()
        except (CatalogMissing, ModelMissing, EncoderUnavailable, SearchError) as err:
            return problem_response(503, f"Not ready: {err}")
        return JSONResponse({"status": "ready", "items": items, "indexed": indexed})

    @router.get("/metrics")
    def metrics_endpoint(
        request: Request, format: str | None = Query(None, pattern="^(json|prometheus)$")
    ) -> Response:
        """Counts and latencies per route and the models' and index's timings: JSON, or the
        Prometheus exposition with `?format=prometheus` or `Accept: text/plain`."""
        accept = request.headers.get("accept", "")
        wants_text = format == "prometheus" or (
            format is None and ("text/plain" in accept or "openmetrics" in accept)
        )
        if wants_text:
            body, content_type = metrics.exposition(accept)
            return Response(body, media_type=content_type)
        return JSONResponse(metrics.snapshot())

    return router
