"""DESIGN.md "Rules for input": what a case may contain, checked before anything is saved.

Every refusal names its field ("title", "details", "due_date", "files") so the web form,
the API and the Slack modal can each show it where it belongs.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import IO, Any

DATE_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits: \d also matches "２０２７"
# Control characters break PostgreSQL (NUL) and terminals; tabs and newlines are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Bidirectional controls let "\u202egpj.exe" display as "exe.jpg": a file name never needs them.
_BIDI = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_NAME_CHARS = 255
MAX_YEARS_AHEAD = 10


class InputErrors(Exception):
    """One message per refused field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass
class Upload:
    """A file sent with the case; `stream` is binary and seekable (werkzeug spools uploads to disk)."""

    name: str
    stream: IO[bytes]
    size: int = 0


@dataclass(frozen=True)
class SlackFileRef:
    """A file the user attached in Slack; the worker copies it into storage later."""

    slack_file_id: str
    name: str
    url: str
    size: int | None = None


def clean_text(value: str | None) -> str:
    return _CONTROL.sub("", value or "").strip()


def clean_file_name(raw: str | None) -> str:
    """A display name safe to store and show: no folders, no control characters, ≤ 255 chars.

    The original (cleaned) name is kept for display and downloads; storage keys never use it.
    """
    name = unicodedata.normalize("NFC", _BIDI.sub("", _CONTROL.sub("", raw or "")))
    name = re.split(r"[\\/]", name)[-1].strip().lstrip(".").strip()
    if len(name) > MAX_NAME_CHARS:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[: MAX_NAME_CHARS - len(ext)] + ext
    return name or "unnamed file"


def earliest_due_date() -> date:
    # "Today everywhere on Earth": the calendar date at UTC−12.
    return datetime.now(timezone(timedelta(hours=-12))).date()


def latest_due_date() -> date:
    today = earliest_due_date()
    try:
        return today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)


def parse_due_date(raw: str | date | None) -> date:
    """A plain calendar date: parsed as written, never shifted through a time zone."""
    if isinstance(raw, date):
        value = raw
    else:
        text = (raw or "").strip()
        if not text:
            raise ValueError("Enter a due date.")
        if not DATE_FORMAT.fullmatch(text):
            raise ValueError("Enter the due date as YYYY-MM-DD.")
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text} is not a real calendar date.") from None
    if value < earliest_due_date():
        raise ValueError("The due date is in the past.")
    if value > latest_due_date():
        raise ValueError(f"The due date is more than {MAX_YEARS_AHEAD} years ahead.")
    return value


def stream_size(stream: IO[bytes]) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


@dataclass
class CaseInput:
    title: str
    details: str
    due_date: date
    uploads: list[Upload]
    slack_files: list[SlackFileRef]


def validate(
    *,
    title: str | None,
    details: str | None,
    due_date: str | date | None,
    uploads: list[Upload],
    slack_files: list[SlackFileRef],
    config: dict[str, Any],
) -> CaseInput:
    """Check every field and return the cleaned input, or raise InputErrors naming each bad field."""
    errors: dict[str, str] = {}
    title = clean_text(title)
    details = clean_text(details)
    if len(title) > config["MAX_TITLE_CHARS"]:
        errors["title"] = f"Keep the title under {config['MAX_TITLE_CHARS']} characters."
    if not details:
        errors["details"] = "Enter the case details."
    elif len(details) > config["MAX_DETAILS_CHARS"]:
        errors["details"] = (
            f"The details are {len(details):,} characters; the limit is {config['MAX_DETAILS_CHARS']:,}."
        )
    try:
        parsed_date = parse_due_date(due_date)
    except ValueError as exc:
        errors["due_date"] = str(exc)
    file_error = _check_files(uploads, slack_files, config)
    if file_error:
        errors["files"] = file_error
    if errors:
        raise InputErrors(errors)
    return CaseInput(title, details, parsed_date, uploads, slack_files)


def _check_files(
    uploads: list[Upload], slack_files: list[SlackFileRef], config: dict[str, Any]
) -> str | None:
    count = len(uploads) + len(slack_files)
    if count > config["MAX_FILES"]:
        return f"Attach at most {config['MAX_FILES']} files (you attached {count})."
    file_limit = config["MAX_FILE_MB"] * 1024 * 1024
    total = 0
    for upload in uploads:
        upload.name = clean_file_name(upload.name)
        upload.size = stream_size(upload.stream)
        if upload.size == 0:
            return f"{upload.name} is empty."
        if upload.size > file_limit:
            return f"{upload.name} is larger than {config['MAX_FILE_MB']} MB."
        total += upload.size
    if total > config["MAX_CASE_MB"] * 1024 * 1024:
        return f"The files add up to more than {config['MAX_CASE_MB']} MB."
    for ref in slack_files:
        if ref.size == 0:
            return f"{clean_file_name(ref.name)} is empty."
    return None
