"""Every case in ../shared/samples/cases.json, run through the real pipeline (local summarizer).

Skipped, with the reason, when the samples folder is not beside the checkout (a user's clone).
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import date, timedelta

import pytest
from flask import Flask

from app import cases, processing
from app.models import Case, CaseStatus, db
from app.rules import Upload
from tests.samples.documents import MISSING, SAMPLES, extract_reusing_samples

if not SAMPLES.is_dir():
    pytest.skip(MISSING, allow_module_level=True)

pytestmark = pytest.mark.samples
CASES = json.loads((SAMPLES / "cases.json").read_text())
OCR = shutil.which("tesseract") is not None


def run_case(spec: dict) -> Case:
    handles = [(SAMPLES / name).open("rb") for name in spec["files"]]
    try:
        created = cases.create_case(
            source="web",
            title=spec["title"],
            details=spec["details"],
            due_date=date.today() + timedelta(days=spec["due_in_days"]),
            uploads=[Upload(name=h.name.rsplit("/", 1)[-1], stream=h) for h in handles],
        )
    finally:
        for handle in handles:
            handle.close()
    case_id = created.case.id
    processing.process_case(case_id)
    return db.session.get(Case, case_id)


@pytest.fixture(autouse=True)
def shared_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker's own code path, with the sample files' text read once for the whole run.
    monkeypatch.setattr(processing, "extract", extract_reusing_samples)


@pytest.mark.parametrize("spec", CASES, ids=[c["title"].split(" - ")[0][:40] for c in CASES])
def test_sample_case_completes_with_sourced_facts(ctx: Flask, spec: dict) -> None:
    started = time.monotonic()
    case = run_case(spec)
    elapsed = time.monotonic() - started
    print(f"\n{spec['title'][:60]}: {case.status} in {elapsed:.1f} s")
    assert case.status == CaseStatus.COMPLETED, case.error
    summary = case.summary
    names = set(spec["files"])
    for file in case.files:
        if file.status == "unreadable":
            # Only scans may be unreadable, and only where Tesseract is missing.
            assert not OCR and "OCR not available" in file.status_reason, (file.name, file.status_reason)
        else:
            assert file.status == "extracted", (file.name, file.status_reason)
    cited = {
        item["source"]["file"]
        for key in ("dates", "parties", "key_points")
        for item in summary[key]
        if item["source"]
    }
    assert cited <= names | {"details"}
    assert summary["overview"] and summary["key_points"]
    assert summary["dates"], "no dates found"
