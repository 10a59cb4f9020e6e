"""The case page in a real browser: the form, live updates without reload, polling that stops, escaping."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.conftest import due_in
from tests.docs import make_pdf
from tests.integration.stack import Stack

pytestmark = pytest.mark.browser

SCRIPT = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


def test_form_to_summary_without_a_reload_and_polling_stops(page, stack: Stack, tmp_path: Path) -> None:
    contract = tmp_path / "supply.pdf"
    contract.write_bytes(
        make_pdf(
            [
                "Supply agreement between Acme Oils GmbH and Beta Pharma Inc. Payment of USD 250,000 is due on April 30, 2027."
            ]
        )
    )
    page.goto("/cases/new")
    page.fill("#title", "Acme supply review")
    page.fill("#details", "Please list every deadline in the supply agreement.")
    page.fill("#due_date", due_in(6))
    page.set_input_files("#files", str(contract))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/case/[0-9a-f-]{36}$"))
    assert page.locator(".status").first.inner_text().lower() == "submitted"

    # Mark this document: a full reload would lose the mark.
    page.evaluate("window.__sameDocument = true")
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if request.url.endswith("/status") else None)
    page.wait_for_timeout(2500)
    assert polls, "the status fragment is not polling"

    stack.start_worker()
    page.wait_for_selector(".summary", timeout=60_000)
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator(".status").first.inner_text().lower() == "completed"
    assert "extractive" in page.locator(".summary .notice").inner_text()
    assert "supply.pdf" in page.locator(".files").inner_text()

    settled = len(polls)
    page.wait_for_timeout(5000)
    assert len(polls) == settled, "polling went on after the case was final"
    page.screenshot(path=str(tmp_path / "completed.png"), full_page=True)


def test_injected_script_never_runs(page, stack: Stack) -> None:
    client = stack.app.test_client()
    response = client.post(
        "/api/cases",
        data={
            "title": SCRIPT,
            "details": f"Details {SCRIPT}",
            "due_date": due_in(3),
            "files": [(io.BytesIO(b"plain text"), f"{SCRIPT}.txt")],
        },
        content_type="multipart/form-data",
    )
    case_id = response.get_json()["id"]
    stack.start_worker()
    stack.wait_for(case_id, lambda c: c.is_final)
    page.goto(f"/case/{case_id}")
    page.wait_for_selector(".summary")
    assert page.evaluate("window.__xss") is None
    assert SCRIPT in page.locator(".details .text").inner_text()
    assert page.locator("script:not([src])").count() == 0
    page.goto("/")
    assert page.evaluate("window.__xss") is None


def test_unknown_case_is_a_404_page(page) -> None:
    response = page.goto("/case/00000000-0000-4000-8000-000000000000")
    assert response.status == 404
    assert "There is no such page or case." in page.inner_text("main")


def test_form_errors_show_next_to_the_fields(page) -> None:
    page.goto("/cases/new")
    page.fill("#details", "   ")
    page.fill("#due_date", "2001-01-01")
    page.click("button[type=submit]")
    assert page.inner_text("#details-error") == "Enter the case details."
    assert page.inner_text("#due_date-error") == "The due date is in the past."
