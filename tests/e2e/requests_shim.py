"""Tiny HTTP helpers for the e2e tests (urllib; each returns (status, parsed JSON or text))."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request


def _send(method: str, url: str, body: bytes | None, content_type: str | None, cookies):
    request = urllib.request.Request(url, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    if cookies:
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def get(url: str, cookies=None):
    return _send("GET", url, None, None, cookies)


def post(url: str, form: dict, cookies=None):
    body = urllib.parse.urlencode(form).encode()
    return _send("POST", url, body, "application/x-www-form-urlencoded", cookies)


def post_json(url: str, payload: dict, cookies=None):
    return _send("POST", url, json.dumps(payload).encode(), "application/json", cookies)


def put_json(url: str, payload: dict, cookies=None):
    return _send("PUT", url, json.dumps(payload).encode(), "application/json", cookies)


def delete_json(url: str, payload: dict, cookies=None):
    return _send("DELETE", url, json.dumps(payload).encode(), "application/json", cookies)
