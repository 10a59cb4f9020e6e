"""Browser fixtures: the app served over real HTTP, a worker process, and headless Chromium."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import missing_service
from tests.integration.stack import Stack, build_stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        missing_service("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def stack(tmp_path: Path, postgres_url: str, redis_settings: dict[str, str]) -> Iterator[Stack]:
    stack = build_stack(tmp_path, postgres_url, redis_settings, WTF_CSRF_ENABLED=True)
    yield stack
    stack.close()


@pytest.fixture
def base_url(stack: Stack) -> Iterator[str]:
    """The app on a real port, in a thread of this process."""
    server = make_server("127.0.0.1", 0, stack.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    stack.app.config["PUBLIC_BASE_URL"] = url
    yield url
    server.shutdown()
    thread.join()


@pytest.fixture
def page(browser, base_url: str, tmp_path: Path) -> Iterator[object]:
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    yield page
    page.screenshot(path=str(tmp_path / "last.png"), full_page=True)
    context.close()
