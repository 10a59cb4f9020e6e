"""Serving stored files: always as an attachment under the original name, never inline."""

from __future__ import annotations

from flask import Response, redirect, send_file
from werkzeug.exceptions import NotFound

from app.cases import CaseNotFound, get_case
from app.models import CaseFile
from app.storage import ObjectNotFound, get_storage


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
    file = find_file(case_id, file_id)
    storage = get_storage()
    url = storage.download_url(file.storage_key, file.name, file.content_type)
    if url:
        return redirect(url, code=302)
    try:
        stream = storage.open(file.storage_key)
    except ObjectNotFound:
        raise NotFound() from None
    # octet-stream plus attachment plus nosniff: nothing uploaded ever renders on our origin.
    response = send_file(
        stream,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=file.name,
        max_age=0,
        conditional=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Length"] = str(file.size)
    return response
