"""The main job end to end: API → case → real worker process on Redis → summary, on PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models import CaseStatus
from tests.conftest import due_in
from tests.docs import make_docx, make_eml, make_pdf
from tests.integration.stack import Stack, build_stack

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest, tmp_path: Path, redis_settings: dict[str, str]) -> Iterator[Stack]:
    if request.param == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'docket.db'}"
    else:
        database_url = request.getfixturevalue("postgres_url")
    stack = build_stack(tmp_path, database_url, redis_settings)
    yield stack
    stack.close()


def test_a_case_with_documents_is_processed_by_a_real_worker(stack: Stack) -> None:
    stack.start_worker()
    client = stack.app.test_client()
    contract = make_pdf(
        [
            "SUPPLY AGREEMENT between Acme Oils GmbH and Beta Pharma Inc. dated March 3, 2024.",
            "Beta Pharma shall pay USD 250,000 no later than April 30, 2024. Either party may terminate on 90 days notice.",
        ]
    )
    memo = make_docx(["Internal memo about the supply dispute."], table=[["Deadline", "2024-05-15"]])
    notice = make_eml("Hearing notice", "The hearing is set for January 19, 2025 at 2:00 pm.")
    response = client.post(
        "/api/cases",
        data={
            "title": "Acme / Beta supply",
            "details": "Client asks whether Beta can terminate. Please list the deadlines.",
            "due_date": due_in(5),
            "files": [
                (io.BytesIO(contract), "supply.pdf"),
                (io.BytesIO(memo), "memo.docx"),
                (io.BytesIO(notice), "notice.eml"),
                (io.BytesIO(b"\x00\x01binary"), "data.bin"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 202
    case_id = response.get_json()["id"]

    case = stack.wait_for(case_id, lambda c: c.is_final)
    assert case.status == CaseStatus.COMPLETED, case.error
    assert case.attempts == 1
    by_name = {f.name: f for f in case.files}
    assert by_name["supply.pdf"].status == "extracted" and by_name["supply.pdf"].pages == 2
    assert by_name["memo.docx"].status == "extracted"
    assert by_name["notice.eml"].status == "extracted"
    assert by_name["data.bin"].status == "unreadable"
    assert "unsupported type" in by_name["data.bin"].status_reason
    summary = case.summary
    assert summary["method"] == "extractive" and summary["overview"]
    assert "2024-04-30" in {d["date"] for d in summary["dates"]}
    kinds = [e.kind for e in case.events]
    assert kinds[0] == "created" and kinds[-1] == "completed" and kinds.count("file") == 4

    page = client.get(f"/case/{case_id}/status")
    assert page.status_code == 286 and "extractive" in page.get_data(as_text=True)


def test_a_case_sent_while_no_worker_runs_is_picked_up_later(stack: Stack) -> None:
    client = stack.app.test_client()
    case_id = client.post("/api/cases", json={"details": "Waiting case.", "due_date": due_in(3)}).get_json()[
        "id"
    ]
    assert stack.case(case_id).status == CaseStatus.SUBMITTED
    stack.start_worker()
    assert stack.wait_for(case_id, lambda c: c.is_final).status == CaseStatus.COMPLETED
