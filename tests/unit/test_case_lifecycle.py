"""Claim, lease, finish, retry and sweep: the status changes only the case service makes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from app import cases, queue
from app.models import Case, CaseStatus, db, utcnow
from tests.conftest import due_in


@pytest.fixture
def case_id(ctx: Flask) -> str:
    return cases.create_case(source="api", title="", details="d", due_date=due_in(3)).case.id


def reload(case_id: str) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case_id)


def expire_lease(case_id: str) -> None:
    db.session.execute(
        sa.update(Case).where(Case.id == case_id).values(lease_expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def sent_messages() -> int:
    return len(queue.get_broker().queues[queue.CASES_QUEUE].queue)


def test_one_claim_wins(case_id: str) -> None:
    token = cases.claim_case(case_id)
    assert token is not None
    assert cases.claim_case(case_id) is None
    case = reload(case_id)
    assert (case.status, case.attempts, case.claim_token) == (CaseStatus.PROCESSING, 1, token)
    assert case.lease_expires_at > utcnow()


def test_an_expired_lease_lets_another_run_take_over_and_the_old_run_loses(case_id: str) -> None:
    old = cases.claim_case(case_id)
    expire_lease(case_id)
    new = cases.claim_case(case_id)
    assert new and new != old
    assert reload(case_id).attempts == 2
    assert "interrupted" in reload(case_id).events[-1].message
    assert not cases.renew_lease(case_id, old)
    assert not cases.complete_case(case_id, old, {"overview": "late"}, None)
    assert cases.complete_case(case_id, new, {"overview": "fresh"}, None)
    case = reload(case_id)
    assert case.status == CaseStatus.COMPLETED and case.summary == {"overview": "fresh"}


def test_completing_twice_records_one_summary(case_id: str) -> None:
    token = cases.claim_case(case_id)
    assert cases.complete_case(case_id, token, {"overview": "x"}, {"model": "m", "prompt_tokens": 3})
    assert not cases.complete_case(case_id, token, {"overview": "y"}, None)
    case = reload(case_id)
    assert case.summary == {"overview": "x"} and case.ai_model == "m" and case.ai_prompt_tokens == 3
    assert [e.kind for e in case.events].count("completed") == 1


def test_failed_attempts_back_off_then_fail_for_good(ctx: Flask, case_id: str) -> None:
    ctx.config["MAX_ATTEMPTS"] = 2
    token = cases.claim_case(case_id)
    assert cases.fail_attempt(case_id, token, "AI unavailable.") == "retry"
    case = reload(case_id)
    assert case.status == CaseStatus.SUBMITTED and case.next_attempt_at > utcnow()
    assert cases.claim_case(case_id) is None  # not before its backoff
    db.session.execute(sa.update(Case).where(Case.id == case_id).values(next_attempt_at=utcnow()))
    db.session.commit()
    token = cases.claim_case(case_id)
    assert cases.fail_attempt(case_id, token, "AI unavailable.") == "failed"
    case = reload(case_id)
    assert case.status == CaseStatus.FAILED and case.error == "AI unavailable." and case.attempts == 2


def test_a_case_that_keeps_killing_its_worker_ends_failed(ctx: Flask, case_id: str) -> None:
    ctx.config["MAX_ATTEMPTS"] = 2
    for _ in range(2):
        assert cases.claim_case(case_id)
        expire_lease(case_id)
    assert cases.claim_case(case_id) is None
    case = reload(case_id)
    assert case.status == CaseStatus.FAILED
    assert "stopped unexpectedly 2 times" in case.error


def test_retry_requeues_only_failed_cases(ctx: Flask, case_id: str) -> None:
    with pytest.raises(cases.NotRetryable):
        cases.retry_case(case_id)
    token = cases.claim_case(case_id)
    cases.fail_attempt(case_id, token, "bad document", retryable=False)
    before = sent_messages()
    case = cases.retry_case(case_id)
    assert (case.status, case.attempts, case.error) == (CaseStatus.SUBMITTED, 0, None)
    assert sent_messages() == before + 1


def test_sweeper_resends_cases_never_sent_and_abandoned_ones(ctx: Flask, case_id: str) -> None:
    ctx.config["SUBMITTED_GRACE_SECONDS"] = 0
    assert cases.sweep() == []  # sent at creation, not lost
    db.session.execute(sa.update(Case).where(Case.id == case_id).values(enqueued_at=None))
    db.session.commit()
    assert cases.sweep() == [case_id]
    assert cases.sweep() == []  # just sent: not again
    cases.claim_case(case_id)
    expire_lease(case_id)
    db.session.execute(
        sa.update(Case).where(Case.id == case_id).values(enqueued_at=utcnow() - timedelta(seconds=5))
    )
    db.session.commit()
    assert cases.sweep() == [case_id]


def test_sweeper_leaves_running_and_waiting_cases_alone(ctx: Flask, case_id: str) -> None:
    ctx.config["SUBMITTED_GRACE_SECONDS"] = 0
    cases.claim_case(case_id)
    db.session.execute(sa.update(Case).where(Case.id == case_id).values(enqueued_at=None))
    db.session.commit()
    assert cases.sweep() == []  # lease alive
