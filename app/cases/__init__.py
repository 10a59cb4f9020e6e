"""The case service: the one place that creates cases and changes their status.

The web form, the JSON API, Slack and the workers all call these functions (through this package, so
`cases.create_case` and friends are the whole interface).
"""

from app.cases.intake import (
    Created,
    IdempotencyConflict,
    Requester,
    create_case,
    request_processing,
    store_stream,
)
from app.cases.lifecycle import (
    NotRetryable,
    claim_case,
    complete_case,
    fail_attempt,
    fail_if_out_of_attempts,
    renew_lease,
    retry_case,
    set_step,
)
from app.cases.records import CaseNotFound, add_event, fit, get_case, list_cases, update_file
from app.cases.sweeper import sweep
from app.rules import Upload

__all__ = [
    "CaseNotFound",
    "Created",
    "IdempotencyConflict",
    "NotRetryable",
    "Requester",
    "Upload",
    "add_event",
    "claim_case",
    "complete_case",
    "create_case",
    "fail_attempt",
    "fail_if_out_of_attempts",
    "fit",
    "get_case",
    "list_cases",
    "renew_lease",
    "request_processing",
    "retry_case",
    "set_step",
    "store_stream",
    "sweep",
    "update_file",
]
