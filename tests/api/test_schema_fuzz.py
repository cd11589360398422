"""Property-based run over the OpenAPI schema (schemathesis + hypothesis): for every route, no
generated input gets a 500, and every error is problem JSON with a sentence."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES_PER_ROUTE = 25


def fuzz(app) -> dict[str, int]:
    """Generated requests per operation; fails at the first 500 or non-problem error."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    calls: dict[str, int] = {}
    for result in schema.get_all_operations():
        _check_operation(result.ok(), calls)
    return calls


def _check_operation(operation, calls: dict[str, int]) -> None:
    label = operation.label
    calls[label] = 0

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        calls[label] += 1
        response = case.call()
        assert response.status_code < 500 or response.status_code == 503, (
            label,
            case.as_curl_command(),
            response.text[:300],
        )
        if response.status_code >= 400:
            assert response.headers["content-type"][0].startswith("application/problem+json"), (
                label,
                response.headers,
            )
            assert response.json()["detail"].strip(), (label, response.text)

    check()


def test_no_generated_request_gets_a_500(use_demo_world):
    from stylist.api import create_app

    calls = fuzz(create_app())
    assert len(calls) >= 14 and all(n > 0 for n in calls.values()), calls
