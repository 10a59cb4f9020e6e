"""The actors. Small on purpose: the work itself lives in `app.processing`."""

from __future__ import annotations

import dramatiq

from app import processing
from app.queue import CASES_QUEUE, PROCESS_CASE
from workers import app


# Attempts are counted in the database (MAX_ATTEMPTS), not by Dramatiq: a retry by Dramatiq
# would not know about the lease. The time limit covers extraction plus AI calls of up to
# 5 minutes with their retries; each network call has its own, shorter timeout.
@dramatiq.actor(
    actor_name=PROCESS_CASE,
    queue_name=CASES_QUEUE,
    max_retries=0,
    time_limit=app.config["CASE_TIME_LIMIT_SECONDS"] * 1000,
)
def process_case(case_id: str) -> None:
    processing.process_case(case_id)
