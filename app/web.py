"""Web pages: the case list, the new-case form and the self-refreshing case page."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template, request, url_for

from app import cases, downloads, sniff
from app.models import Case, utcnow
from app.rules import InputErrors, Upload, earliest_due_date, latest_due_date

bp = Blueprint("web", __name__)

POLL_SECONDS = 2
# htmx 2 stops `every` polling when the response status is 286.
STOP_POLLING = 286


@bp.get("/")
def index() -> str:
    return render_template("cases/index.html", cases=cases.list_cases())


@bp.get("/cases/new")
def new_case() -> str:
    return _form(values={}, errors={})


@bp.post("/cases/new")
def create_case() -> Response | tuple[str, int]:
    form = request.form
    token = form.get("form_token", "")
    if not _is_uuid(token):
        return _form(
            values=form, errors={"form": "The form is incomplete; reload the page and try again."}
        ), 400
    uploads = [
        Upload(name=f.filename or "", stream=f.stream) for f in request.files.getlist("files") if f.filename
    ]
    try:
        created = cases.create_case(
            source="web",
            title=form.get("title"),
            details=form.get("details"),
            due_date=form.get("due_date"),
            uploads=uploads,
            requester=cases.Requester(name=form.get("requester") or None),
            # One case per rendered form, however often it is submitted.
            idempotency_key=f"web:{token}",
            check_fingerprint=True,
        )
    except InputErrors as exc:
        return _form(values=form, errors=exc.errors, files_lost=bool(uploads)), 422
    except cases.IdempotencyConflict as exc:
        # Back, edit, submit again: the first version made the case; never drop the edit silently.
        message = "This form was already sent and opened a case; your changes were not saved to it."
        return _form(values=form, errors={"form": message}, files_lost=bool(uploads), existing=str(exc)), 409
    return redirect(url_for("web.case_page", case_id=created.case.id), code=303)


def _form(
    values: object, errors: dict[str, str], files_lost: bool = False, existing: str | None = None
) -> str:
    return render_template(
        "cases/new.html",
        values=values,
        errors=errors,
        files_lost=files_lost,
        existing=existing,
        form_token=str(uuid.uuid4()),
        min_date=earliest_due_date().isoformat(),
        max_date=latest_due_date().isoformat(),
        max_files=current_app.config["MAX_FILES"],
        max_file_mb=current_app.config["MAX_FILE_MB"],
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _load(case_id: str) -> Case:
    try:
        return cases.get_case(case_id)
    except cases.CaseNotFound:
        abort(404)


@bp.get("/case/<case_id>")
def case_page(case_id: str) -> str:
    case = _load(case_id)
    return render_template("cases/show.html", case=case, view=CaseView(case))


@bp.get("/case/<case_id>/status")
def case_status(case_id: str) -> tuple[str, int]:
    """The polled fragment. Unknown cases and errors answer 200 with a final fragment, so a
    poller never spins on an error (htmx 2 does not swap 4xx/5xx)."""
    try:
        case = cases.get_case(case_id)
        view = CaseView(case)
        html = render_template("cases/_live.html", case=case, view=view)
    except cases.CaseNotFound:
        return render_template("cases/_gone.html", message="This case does not exist."), STOP_POLLING
    except Exception:
        current_app.logger.exception("status fragment for %s failed", case_id)
        message = "Could not load the latest status. Reload the page to try again."
        return render_template("cases/_gone.html", message=message), STOP_POLLING
    return html, (STOP_POLLING if case.is_final else 200)


@bp.post("/case/<case_id>/retry")
def retry(case_id: str) -> Response:
    try:
        cases.retry_case(case_id)
    except cases.CaseNotFound:
        abort(404)
    except cases.NotRetryable:
        pass  # already queued or done: the page shows where it stands
    return redirect(url_for("web.case_page", case_id=case_id), code=303)


@bp.get("/case/<case_id>/files/<file_id>")
def download(case_id: str, file_id: str) -> Response:
    return downloads.download(case_id, file_id)


class CaseView:
    """What the page shows about a case, computed once for the templates."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.poll_seconds = POLL_SECONDS

    @property
    def days_left(self) -> int:
        today = datetime.now(ZoneInfo(current_app.config["APP_TIMEZONE"])).date()
        return (self.case.due_date - today).days

    @property
    def due_label(self) -> str:
        days = self.days_left
        if days == 0:
            return "due today"
        if days > 0:
            return f"{days} day{'s' if days != 1 else ''} left"
        return f"overdue by {-days} day{'s' if days != -1 else ''}"

    @property
    def elapsed(self) -> str | None:
        start = self.case.started_at or self.case.created_at
        end = self.case.processed_at or utcnow()
        seconds = int((end - start).total_seconds())
        minutes, seconds = divmod(max(seconds, 0), 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_filter(sniff.label, "type_label")
