"""A local stand-in for an OpenAI-compatible server: `POST /v1/chat/completions`, scripted per test.

Tests point the real `openai` client at `FakeOpenAI.base_url`. Each request takes the next scripted
`Reply` from the queue; when the queue is empty, `responder(body)` answers (by default a small valid
summary). Every request body is recorded, so tests can assert what was sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.summaries import EMPTY


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: dict[str, Any] | str | None = None  # a str goes out as it is, as an HTML page
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a slow or hung server)


def answer(
    content: str | dict[str, Any],
    *,
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
    model: str = "fake-model-1",
    delay: float = 0.0,
) -> Reply:
    """A chat completion whose message content is `content` (a dict is sent as its JSON text)."""
    text = content if isinstance(content, str) else json.dumps(content)
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return Reply(body=body, delay=delay)


def error(status: int, message: str, *, headers: dict[str, str] | None = None, **fields: Any) -> Reply:
    """An error answer shaped like OpenAI's: {"error": {"message", "type", "param", "code"}}."""
    detail = {"message": message, "type": "invalid_request_error", "param": None, "code": None, **fields}
    return Reply(status=status, body={"error": detail}, headers=headers or {})


def strict_unsupported() -> Reply:
    """What a server without strict structured output says (vLLM, older Ollama and Azure differ in
    wording; all of them name the parameter)."""
    return error(
        400, "response_format type 'json_schema' is not supported by this model", param="response_format"
    )


def summary_dict(**fields: Any) -> dict[str, Any]:
    """A minimal valid answer in the AI-facing summary schema, with `fields` overriding."""
    return {"overview": "A short overview.", **EMPTY, "matter_type": "contract review", **fields}


def default_responder(body: dict[str, Any]) -> Reply:
    return answer(summary_dict())


class FakeOpenAI:
    def __init__(self, responder: Callable[[dict[str, Any]], Reply] = default_responder) -> None:
        self.responder = responder
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.strict_supported = True
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def push(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            if not self.strict_supported and body.get("response_format", {}).get("type") == "json_schema":
                return strict_unsupported()
            if self.replies:
                return self.replies.popleft()
        return self.responder(body)

    def user_texts(self) -> list[str]:
        """The user message of every request, in order."""
        return [m["content"] for body in self.requests for m in body["messages"] if m["role"] == "user"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # socketserver's default backlog of 5 drops connections when hundreds of clients connect at once.
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up mid-answer is an expected event here, not an error.
        pass


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(Reply(status=404, body={"error": {"message": f"no route {self.path}"}}))
                return
            reply = fake.next_reply(body)
            if reply.delay:
                time.sleep(reply.delay)
            with suppress(BrokenPipeError, ConnectionResetError):
                self._send(reply)

        def _send(self, reply: Reply) -> None:
            html = isinstance(reply.body, str)
            data = (reply.body if html else json.dumps(reply.body or {})).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "text/html" if html else "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running(responder: Callable[[dict[str, Any]], Reply] = default_responder) -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(responder).start()
    try:
        yield fake
    finally:
        fake.stop()
