"""schemathesis against the served OpenAPI description: no server errors, responses match the schema.

The operations are driven with Hypothesis directly: schemathesis' pytest plugin does not yet run
under pytest 9.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings

from app.models import db

OPERATIONS = ["createCase", "listCases", "getCase", "retryCase", "downloadFile"]
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
]


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_api_never_errors_and_matches_its_schema(app: Flask, operation_id: str) -> None:
    with app.app_context():
        db.create_all()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operation = schema.find_operation_by_id(operation_id)

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case) -> None:
        case.call_and_validate(checks=CHECKS)

    call()
