"""Serving stored files: always as an attachment under the original name, never inline."""

from __future__ import annotations

from flask import Response, redirect, send_file
from werkzeug.exceptions import NotFound

from app.cases import CaseNotFound, get_case
from app.disposition import attachment
from app.models import CaseFile
from app.storage import get_storage


def find_file(case_id: str, file_id: str) -> CaseFile:
    try:
        case = get_case(case_id)
    except CaseNotFound:
        raise NotFound() from None
    for file in case.files:
        if file.id == file_id and file.uploaded_at is not None:
            return file
    raise NotFound()


def download(case_id: str, file_id: str) -> Response:
    """A redirect to a presigned URL where the backend has one (s3), else the bytes through the app.

    A missing object raises ObjectNotFound, which the error handlers answer with the 404 page.
    """
    file = find_file(case_id, file_id)
    storage = get_storage()
    url = storage.download_url(file.storage_key, file.name, file.content_type)
    if url:
        response = redirect(url, code=302)
        # The signed URL expires within minutes: a cached redirect would lead to an error later.
        response.headers["Cache-Control"] = "no-store"
        return response
    # octet-stream plus attachment plus nosniff: nothing uploaded ever renders on our origin.
    response = send_file(
        storage.open(file.storage_key),
        mimetype="application/octet-stream",
        max_age=0,
        conditional=False,
    )
    response.headers["Content-Disposition"] = attachment(file.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Length"] = str(file.size)
    return response
