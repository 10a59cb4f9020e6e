"""Error pages and JSON errors: a clear message for the user, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from app.models import db
from app.storage import ObjectNotFound, StorageError

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    404: "There is no such page or case.",
    405: "That method is not allowed here.",
    413: "The upload is too large.",
    500: "Something went wrong on our side. Nothing you sent was half-saved; please try again.",
}
STORAGE_UNAVAILABLE = (
    "File storage is unavailable right now. Nothing you sent was half-saved; please try again shortly."
)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, error: str, message: str) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify(error=error, message=message), status
    return render_template("error.html", status=status, message=message), status


def _http_error(exc: HTTPException) -> tuple[Response | str, int]:
    status = exc.code or 500
    message = MESSAGES.get(status, exc.description or "Request failed.")
    if isinstance(exc, RequestEntityTooLarge):
        from flask import current_app

        message = f"The upload is too large: a case may carry at most {current_app.config['MAX_CASE_MB']} MB of files."
    return error_response(status, (exc.name or "error").lower().replace(" ", "_"), message)


def _csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
    return error_response(
        400, "csrf", "The form expired or was sent from elsewhere. Reload the page and try again."
    )


def _server_error(exc: Exception) -> tuple[Response | str, int]:
    db.session.rollback()
    original = getattr(exc, "original_exception", exc)
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=original)
    return error_response(500, "server_error", MESSAGES[500])


def _object_not_found(exc: ObjectNotFound) -> tuple[Response | str, int]:
    # The case knows the file but storage lost it (removed by hand, another bucket): a plain 404.
    log.warning("stored object missing: %s", exc)
    return error_response(404, "not_found", MESSAGES[404])


def _storage_error(exc: StorageError) -> tuple[Response | str, int]:
    db.session.rollback()
    log.error("storage failed on %s %s", request.method, request.path, exc_info=exc)
    return error_response(503, "storage_unavailable", STORAGE_UNAVAILABLE)


def init_app(app: Flask) -> None:
    app.register_error_handler(ObjectNotFound, _object_not_found)
    app.register_error_handler(StorageError, _storage_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
