"""Copying a case's pending Slack files into storage: the worker's first step (DESIGN.md component 7).

Slack serves attachments only with the bot token, and the token must reach Slack's file hosts and
nothing else: redirects are followed by hand and every hop is checked against SLACK_FILE_HOSTS
(https only, unless SLACK_FILE_ALLOW_HTTP for a local stand-in). A file that cannot be copied is marked
unreadable with the reason, and the case goes on without it.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Mapping
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import requests
from flask import current_app

from app import cases, sniff
from app.models import CaseFile, FileStatus, utcnow

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 60
# For the whole copy of one file: a worker's time limit cannot interrupt a blocking socket read, and a
# server can trickle bytes just fast enough to beat the read timeout.
DEADLINE_SECONDS = 300
MAX_REDIRECTS = 3
# Network errors, 5xx and 429 are tried again, waiting at most this long between tries.
ATTEMPTS = 3
MAX_WAIT_SECONDS = 10
CHUNK_BYTES = 1024 * 1024
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
HTML_NAMES = (".html", ".htm")


class FetchFailed(Exception):
    """Why a file could not be copied, in words shown on the case page."""


class _Transient(FetchFailed):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def copy_file(file: CaseFile) -> None:
    """Copy one pending Slack file into storage (stored, with size, sha256 and sniffed type), or mark
    it unreadable with the reason. Storage errors propagate: the attempt is retried later."""
    config = current_app.config
    if not config["SLACK_BOT_TOKEN"]:
        _unreadable(file, "not copied from Slack: Slack is not configured (SLACK_BOT_TOKEN)")
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        try:
            _download(config, file.slack_url or "", spool)
            _check_content(spool, file)
        except FetchFailed as exc:
            _unreadable(file, f"not copied from Slack: {exc}")
            return
        key, content_type, size, sha256 = cases.store_stream(file.case_id, file.id, file.name, spool)
    cases.update_file(
        file.id,
        storage_key=key,
        content_type=content_type,
        size=size,
        sha256=sha256,
        status=FileStatus.STORED,
        status_reason=None,
        uploaded_at=utcnow(),
    )
    cases.add_event(file.case_id, "file", f"Copied {file.name} from Slack ({size:,} bytes).")


def _download(config: Mapping[str, Any], url: str, out: IO[bytes]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    for attempt in range(1, ATTEMPTS + 1):
        out.seek(0)
        out.truncate()
        try:
            _download_once(config, url, out, deadline)
            return
        except _Transient as exc:
            if attempt == ATTEMPTS:
                raise FetchFailed(f"{exc} ({ATTEMPTS} tries)") from None
            time.sleep(min(attempt if exc.retry_after is None else exc.retry_after, MAX_WAIT_SECONDS))


def _download_once(config: Mapping[str, Any], url: str, out: IO[bytes], deadline: float) -> None:
    headers = {"Authorization": f"Bearer {config['SLACK_BOT_TOKEN']}"}
    for _ in range(MAX_REDIRECTS + 1):
        _check_host(config, url)
        try:
            with requests.get(
                url,
                headers=headers,
                stream=True,
                allow_redirects=False,
                timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
            ) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers["Location"])
                    continue
                _check_status(response)
                _copy_body(response, out, config["MAX_FILE_MB"], deadline)
                return
        except requests.RequestException as exc:
            raise _Transient(f"Slack's file host could not be reached ({type(exc).__name__})") from None
    raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")


def _check_host(config: Mapping[str, Any], url: str) -> None:
    """The token goes only to an allowlisted host, over https."""
    parts = urlsplit(url)
    schemes = ("https", "http") if config["SLACK_FILE_ALLOW_HTTP"] else ("https",)
    hosts = {host.lower() for host in config["SLACK_FILE_HOSTS"]}
    if parts.scheme not in schemes or (parts.hostname or "") not in hosts:
        where = f"{parts.scheme}://{parts.hostname}" if parts.hostname else "an invalid link"
        raise FetchFailed(
            f"the file is at {where}, which is not a Slack file host; Docket sends its token only there"
        )


def _check_status(response: requests.Response) -> None:
    status = response.status_code
    if status == 200:
        return
    if status == 429 or status >= 500:
        retry_after = response.headers.get("Retry-After", "")
        raise _Transient(
            f"Slack answered HTTP {status}", float(retry_after) if retry_after.isdigit() else None
        )
    if status in (401, 403):
        raise FetchFailed(
            f"Slack refused access (HTTP {status}); check the bot token and its files:read scope"
        )
    if status == 404:
        raise FetchFailed("Slack no longer has the file (HTTP 404); was it deleted?")
    raise FetchFailed(f"Slack answered HTTP {status}")


def _copy_body(response: requests.Response, out: IO[bytes], max_mb: int, deadline: float) -> None:
    limit = max_mb * 1024 * 1024
    too_large = FetchFailed(f"the file is larger than {max_mb} MB")
    announced = response.headers.get("Content-Length", "")
    if announced.isdigit() and int(announced) > limit:
        raise too_large
    received = 0
    for chunk in response.iter_content(CHUNK_BYTES):
        received += len(chunk)
        if received > limit:
            raise too_large
        if time.monotonic() > deadline:
            raise FetchFailed(f"the download took longer than {DEADLINE_SECONDS} s")
        out.write(chunk)


def _check_content(spool: IO[bytes], file: CaseFile) -> None:
    """Without a valid token Slack answers 200 with its sign-in page instead of the file."""
    size = spool.tell()
    if size == 0:
        raise FetchFailed("Slack sent an empty file")
    if sniff.sniff(spool, file.name) == sniff.HTML and not file.name.lower().endswith(HTML_NAMES):
        raise FetchFailed(
            "Slack sent a web page (its sign-in page) instead of the file; check the bot token and its "
            "files:read scope"
        )
    if file.size and size != file.size:
        raise FetchFailed(f"received {size:,} bytes where Slack announced {file.size:,}")


def _unreadable(file: CaseFile, reason: str) -> None:
    log.warning("case %s: %s %s", file.case_id, file.name, reason)
    cases.update_file(file.id, status=FileStatus.UNREADABLE, status_reason=reason)
    cases.add_event(file.case_id, "file", f"{file.name}: {reason}.")
