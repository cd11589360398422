"""A local OpenAI-compatible chat server that stands in for a real LLM provider in tests.

The real provider clients (`ChatOpenAI(base_url=llm.base_url)`, `ChatGroq(base_url=llm.groq_base_url)`)
talk to it over HTTP, so the whole client path — request building, SSE parsing, tool-call decoding,
retries, timeouts — runs for real. Replies are scripted per request:

    with StandinLLM() as llm:
        llm.script([
            {"tool_calls": [{"name": "search_catalog", "args": {"query": "red dress"}}]},
            {"content": "Here are two red dresses."},
            {"status": 401},            # the provider rejects the key
            {"status": 429},            # rate limited (Retry-After: a few ms, so SDK retries are fast)
            {"hang": 5},                # answers only after 5 s (tests use a shorter client timeout)
        ])

Both non-streaming JSON and SSE streaming (`"stream": true`) answers are supported. When the
script runs out, `default_reply` is used. Every request body is recorded in `llm.requests`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]

_ERRORS = {
    401: ("invalid_api_key", "Invalid API Key"),
    403: ("permission_denied", "Forbidden"),
    429: ("rate_limit_exceeded", "Rate limit reached, please slow down"),
    500: ("server_error", "Internal server error"),
}


class StandinLLM:
    """An OpenAI-compatible `/chat/completions` endpoint on 127.0.0.1, a free port, in a thread."""

    def __init__(self, default_reply: Reply | None = None) -> None:
        self.default_reply: Reply = default_reply or {"content": "Stand-in reply."}
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> StandinLLM:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # wakes up hanging replies
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> StandinLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "start() the server first"
        return self._server.server_address[1]

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For ChatOpenAI / any OpenAI-compatible client (posts to /v1/chat/completions)."""
        return f"{self.root_url}/v1"

    @property
    def groq_base_url(self) -> str:
        """For ChatGroq, which appends /openai/v1/chat/completions itself."""
        return self.root_url

    # --- scripting ---------------------------------------------------------------------------
    def script(self, replies: Iterable[Reply]) -> None:
        """Queue replies, one per incoming request, in order."""
        with self._lock:
            self._replies.extend(replies)

    def clear(self) -> None:
        with self._lock:
            self._replies.clear()
            self.requests.clear()
            self.paths.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._replies)

    def _next_reply(self, body: dict[str, Any], path: str) -> dict[str, Any]:
        with self._lock:
            self.requests.append(body)
            self.paths.append(path)
            reply = self._replies.popleft() if self._replies else self.default_reply
        return reply(body) if callable(reply) else reply

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"


def _make_handler(llm: StandinLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [{"id": "standin", "object": "model"}]})
            else:
                self._json(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._json(400, {"error": {"message": "bad json"}})
                return
            reply = llm._next_reply(body, self.path)

            if "hang" in reply:
                # Hold the request open; the client's timeout should fire first.
                llm._closing.wait(float(reply["hang"]))
                reply = {k: v for k, v in reply.items() if k != "hang"} or {"content": "Late."}
            status = int(reply.get("status", 200))
            if status != 200:
                code, message = _ERRORS.get(status, ("error", f"HTTP {status}"))
                headers = {"retry-after-ms": "5", "retry-after": "0"} if status == 429 else {}
                self._json(
                    status, {"error": {"message": message, "type": code, "code": code}}, headers
                )
                return
            model = body.get("model", "standin")
            if body.get("stream"):
                self._sse(_stream_chunks(llm, reply, model))
            else:
                self._json(200, _completion(llm, reply, model))

        # --- writers -----------------------------------------------------------------------
        def _json(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _sse(self, chunks: Iterable[dict[str, Any]]) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("connection", "close")
            self.end_headers()
            for chunk in chunks:
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler


def _tool_calls(llm: StandinLLM, reply: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": call.get("id") or llm._new_id("call"),
            "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call.get("args", {}))},
        }
        for call in reply.get("tool_calls", [])
    ]


def _usage() -> dict[str, int]:
    return {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def _completion(llm: StandinLLM, reply: dict[str, Any], model: str) -> dict[str, Any]:
    calls = _tool_calls(llm, reply)
    message: dict[str, Any] = {"role": "assistant", "content": reply.get("content") or None}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": llm._new_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}
        ],
        "usage": _usage(),
    }


def _stream_chunks(llm: StandinLLM, reply: dict[str, Any], model: str):
    completion_id = llm._new_id("chatcmpl")
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield chunk({"role": "assistant", "content": ""})
    text = reply.get("content") or ""
    # A few words per chunk, so clients really receive a stream of tokens.
    words = text.split(" ")
    for i in range(0, len(words), 2):
        piece = " ".join(words[i : i + 2])
        yield chunk({"content": piece if i == 0 else " " + piece})
    calls = _tool_calls(llm, reply)
    for index, call in enumerate(calls):
        args = call["function"]["arguments"]
        half = len(args) // 2
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["function"]["name"], "arguments": args[:half]},
                    }
                ]
            }
        )
        yield chunk({"tool_calls": [{"index": index, "function": {"arguments": args[half:]}}]})
    yield chunk({}, "tool_calls" if calls else "stop")
