"""JSON API (DESIGN.md component 10). Errors are `{error, message}` with a 4xx status."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for

from app import cases, downloads
from app.errors import error_response
from app.models import Case
from app.openapi import openapi_document
from app.rules import InputErrors, Upload
from app.security import csrf

bp = Blueprint("api", __name__, url_prefix="/api")

FILE_FIELDS = ("files", "files[]")

# Printable ASCII without spaces at the ends; long enough for UUIDs and client-made keys.
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,198}[\x21-\x7e]|[\x21-\x7e]")


@bp.post("/cases")
def create() -> tuple[Response | str, int]:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        return error_response(
            400, "invalid_idempotency_key", "Idempotency-Key must be 1-200 printable ASCII characters."
        )
    fields, uploads = _read_body()
    if fields is None:
        return error_response(
            400, "invalid_body", "Send multipart/form-data, a URL-encoded form, or a JSON object."
        )
    misplaced = _misplaced_files()
    if misplaced:
        return _invalid(misplaced)
    bad = [
        name
        for name in ("title", "details", "due_date")
        if fields.get(name) is not None and not isinstance(fields[name], str)
    ]
    if bad:
        return _invalid({name: "Give one string, once." for name in bad})
    try:
        created = cases.create_case(
            source="api",
            title=fields.get("title"),
            details=fields.get("details"),
            due_date=fields.get("due_date"),
            uploads=uploads,
            requester=cases.Requester(
                name=fields.get("requester") if isinstance(fields.get("requester"), str) else None
            ),
            idempotency_key=f"api:{key}" if key else None,
            check_fingerprint=True,
        )
    except InputErrors as exc:
        return _invalid(exc.errors)
    except cases.IdempotencyConflict:
        return error_response(
            409, "idempotency_conflict", "This Idempotency-Key was already used for a different request."
        )
    status = 202 if created.created else 200
    return jsonify(case_json(created.case)), status


def _read_body() -> tuple[dict[str, Any] | None, list[Upload]]:
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        return (body if isinstance(body, dict) else None), []
    if request.mimetype == "multipart/form-data" and not request.mimetype_params.get("boundary"):
        return None, []
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        files = [f for field in FILE_FIELDS for f in request.files.getlist(field)]
        uploads = [Upload(name=f.filename or "", stream=f.stream) for f in files]
        # A field sent twice stays a list, which is refused below: no silent "first one wins".
        fields = {name: values[0] if len(values) == 1 else values for name, values in request.form.lists()}
        return fields, uploads
    return None, []


def _misplaced_files() -> dict[str, str]:
    """Attachments sent anywhere but `files` would be silently lost: refuse them instead."""
    errors = {
        name: "Unknown file field: send attachments as 'files'."
        for name in request.files
        if name not in FILE_FIELDS
    }
    errors.update(
        {name: "Attach files as file parts, not as text." for name in request.form if name in FILE_FIELDS}
    )
    return errors


def _invalid(errors: dict[str, str]) -> tuple[Response, int]:
    message = " ".join(errors.values())
    return jsonify(error="invalid_input", message=message, fields=errors), 422


@bp.get("/cases")
def index() -> tuple[Response | str, int]:
    try:
        limit = int(request.args.get("limit", 50))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        return error_response(400, "invalid_query", "limit and offset must be whole numbers.")
    if not (1 <= limit <= 100 and 0 <= offset <= 1_000_000):
        return error_response(400, "invalid_query", "limit must be 1-100 and offset 0 or more.")
    found = cases.list_cases(limit=limit, offset=offset)
    return jsonify(cases=[case_json(c, full=False) for c in found], limit=limit, offset=offset), 200


@bp.get("/cases/<case_id>")
def show(case_id: str) -> tuple[Response | str, int]:
    try:
        return jsonify(case_json(cases.get_case(case_id))), 200
    except cases.CaseNotFound:
        return error_response(404, "not_found", "There is no case with this id.")


@bp.post("/cases/<case_id>/retry")
def retry(case_id: str) -> tuple[Response | str, int]:
    try:
        case = cases.retry_case(case_id)
    except cases.CaseNotFound:
        return error_response(404, "not_found", "There is no case with this id.")
    except cases.NotRetryable as exc:
        return error_response(409, "not_retryable", f"Only a failed case can be retried; this one is {exc}.")
    return jsonify(case_json(case)), 202


@bp.get("/cases/<case_id>/files/<file_id>")
def download(case_id: str, file_id: str) -> Response:
    return downloads.download(case_id, file_id)


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


def case_json(case: Case, *, full: bool = True) -> dict[str, Any]:
    base = current_app.config["PUBLIC_BASE_URL"]
    data: dict[str, Any] = {
        "id": case.id,
        "status": case.status,
        "step": case.step,
        "title": case.display_title,
        "due_date": case.due_date.isoformat(),
        "source": case.source,
        "created_at": case.created_at.isoformat(),
        "processed_at": case.processed_at.isoformat() if case.processed_at else None,
        "url": f"{base}/case/{case.id}",
    }
    if not full:
        return data
    data.update(
        details=case.details,
        started_at=case.started_at.isoformat() if case.started_at else None,
        attempts=case.attempts,
        error=case.error,
        files=[
            {
                "id": f.id,
                "name": f.name,
                "size": f.size,
                "content_type": f.content_type,
                "sha256": f.sha256,
                "status": f.status,
                "status_reason": f.status_reason,
                "pages": f.pages,
                "extraction_method": f.extraction_method,
                "download_url": base + url_for("api.download", case_id=case.id, file_id=f.id)
                if f.uploaded_at
                else None,
            }
            for f in case.files
        ],
        summary=case.summary,
        usage={
            "model": case.ai_model,
            "prompt_tokens": case.ai_prompt_tokens,
            "completion_tokens": case.ai_completion_tokens,
        }
        if case.ai_model
        else None,
        events=[{"at": e.at.isoformat(), "kind": e.kind, "message": e.message} for e in case.events],
    )
    return data


def init_app(app: Flask) -> None:
    # No cookies or sessions authorise the API, so there is nothing for CSRF to protect.
    csrf.exempt(bp)
    app.register_blueprint(bp)
