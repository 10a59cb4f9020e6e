"""A local stand-in for Slack, spoken to over real HTTP: the Web API methods Docket calls (auth.test,
views.open, chat.postMessage), response_url and incoming-webhook endpoints, and file downloads.

It records every request with its headers, so tests can check where the bot token went. Replies can be
scripted per path (errors, 429 with Retry-After, redirects, a sign-in page, slow answers).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOKEN = "xoxb-test-token"
BOT_USER = "UBOT"
TEAM = "T0001"


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict[str, Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, dict):
            return json.dumps(self.body).encode(), "application/json; charset=utf-8"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return self.body, "application/octet-stream"


@dataclass
class Recorded:
    method: str
    path: str
    host: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request arrived

    @property
    def data(self) -> dict[str, Any]:
        """The body as a dict, whether it was sent as JSON or as a form."""
        if not self.body:
            return {}
        if self.headers.get("content-type", "").startswith("application/json"):
            return json.loads(self.body)
        return dict(parse_qsl(self.body.decode()))


def api_error(error: str, status: int = 200, **headers: str) -> Reply:
    return Reply(status=status, body={"ok": False, "error": error}, headers=headers)


class SlackFake:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.files: dict[str, Reply] = {}
        self._scripted: dict[str, list[Reply]] = defaultdict(list)
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval makes close() quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-fake", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def script(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to `path` with these replies, in order, before the defaults."""
        with self._lock:
            self._scripted[path].extend(replies)

    def calls(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> SlackFake:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        path = urlsplit(handler.path).path
        recorded = Recorded(
            method=handler.command,
            path=path,
            host=handler.headers.get("Host", ""),
            headers={name.lower(): value for name, value in handler.headers.items()},
            body=body,
            at=time.monotonic(),
        )
        with self._lock:
            self.requests.append(recorded)
            scripted = self._scripted.get(path)
            reply = scripted.pop(0) if scripted else None
        reply = reply or self._default(recorded)
        if reply.delay:
            time.sleep(reply.delay)
        payload, content_type = reply.encoded()
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.headers.get("Content-Type", content_type))
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            if name != "Content-Type":
                handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def _default(self, request: Recorded) -> Reply:
        if request.path.startswith("/api/") and request.headers.get("authorization") != f"Bearer {TOKEN}":
            return api_error("not_authed")
        if request.path == "/api/auth.test":
            return Reply(
                body={"ok": True, "team_id": TEAM, "user_id": BOT_USER, "bot_id": "BBOT", "team": "Firm"}
            )
        if request.path == "/api/views.open":
            return Reply(body={"ok": True, "view": {"id": "VOPENED"}})
        if request.path == "/api/chat.postMessage":
            channel = request.data.get("channel", "")
            return Reply(body={"ok": True, "channel": channel, "ts": f"1700000000.{next(self._ts):06d}"})
        if request.path.startswith(("/response/", "/webhook/")):
            return Reply(body="ok")
        if request.path.startswith("/files/") and request.path in self.files:
            return self.files[request.path]
        return Reply(status=404, body="not found")
