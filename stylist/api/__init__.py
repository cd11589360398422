"""The HTTP API v1 for programs (FastAPI): one module per job.

- `app` — `create_app(settings=None)`, the factory `stylist serve` runs;
- `v1` — the routes (tag, caption, search, items, outfit, chat), over `stylist.tools.operations`;
- `status` — `/health`, `/ready`, `/metrics`;
- `problems` — RFC 9457 problem JSON, and which error of the layers below means which status;
- `auth` — API keys as bearer tokens (`stylist api-keys`), `rate_limit` — a token bucket per key;
- `metrics` — prometheus_client counters and histograms, per app;
- `batching` — the micro-batcher of concurrent /v1/tag requests;
- `commands` — `stylist serve`, `stylist api-keys create|list|revoke`.
"""

from __future__ import annotations

from typing import Any

from stylist.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # `uvicorn stylist.api:app` works too; the app is built on first access only.
    if name == "app":
        return create_app()
    raise AttributeError(name)
