"""Property-based run over the OpenAPI schema (schemathesis): no generated input gets a 500,
and every error is problem JSON with a sentence."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def api_schema(use_demo_world):
    from stylist.api import create_app

    return schemathesis.openapi.from_asgi("/openapi.json", create_app())


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_generated_request_gets_a_500(case):
    response = case.call()
    assert response.status_code < 500 or response.status_code == 503, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/problem+json")
        assert response.json()["detail"].endswith((".", "?", ")"))
