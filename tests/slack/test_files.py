"""The worker's first step: copying Slack files into storage, with the bot token going only to Slack."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from flask import Flask

from app import cases
from app.models import Case, CaseFile, FileStatus, db
from app.processing import _Attempt
from app.rules import SlackFileRef
from app.slack.files import copy_file
from app.storage import get_storage
from tests.conftest import due_in
from tests.slack.payloads import CHANNEL, USER
from tests.slackfake import TOKEN, Reply, SlackFake

SIGN_IN_PAGE = b"<!DOCTYPE html>\n<html><head><title>Slack</title></head><body>Sign in to Firm</body></html>"
LEASE = b"LEASE AGREEMENT\nThe tenant shall pay 1,000 EUR on the first day of each month.\n"


def pending(url: str, *, name: str = "lease.txt", size: int | None = None) -> CaseFile:
    created = cases.create_case(
        source="slack",
        title="Lease",
        details="See the attached lease.",
        due_date=due_in(7),
        slack_files=[SlackFileRef("F0FILE1", name, url, size)],
        requester=cases.Requester(slack_user_id=USER, slack_channel_id=CHANNEL),
    )
    [file] = created.case.files
    return file


def reload(file: CaseFile) -> CaseFile:
    db.session.expire_all()
    return db.session.get(CaseFile, file.id)


def timeline(case_id: str) -> list[str]:
    return [event.message for event in db.session.get(Case, case_id).events]


def test_a_slack_file_is_streamed_into_storage_with_the_bot_token(ctx: Flask, fake: SlackFake) -> None:
    fake.files["/files/F0FILE1/lease.txt"] = Reply(body=LEASE, headers={"Content-Type": "text/plain"})
    file = pending(fake.url + "/files/F0FILE1/lease.txt", size=len(LEASE))

    copy_file(file)

    stored = reload(file)
    assert stored.status == FileStatus.STORED
    assert (stored.size, stored.sha256) == (len(LEASE), hashlib.sha256(LEASE).hexdigest())
    assert stored.content_type == "text/plain"
    assert stored.uploaded_at is not None
    with get_storage().open(stored.storage_key) as saved:
        assert saved.read() == LEASE
    [download] = fake.calls("/files/F0FILE1/lease.txt")
    assert download.headers["authorization"] == f"Bearer {TOKEN}"
    assert f"Copied lease.txt from Slack ({len(LEASE)} bytes)." in timeline(file.case_id)


def test_a_redirect_within_slacks_hosts_is_followed(ctx: Flask, fake: SlackFake) -> None:
    fake.files["/files/F0FILE1/old"] = Reply(status=302, headers={"Location": "/files/F0FILE1/lease.txt"})
    fake.files["/files/F0FILE1/lease.txt"] = Reply(body=LEASE)
    file = pending(fake.url + "/files/F0FILE1/old")

    copy_file(file)

    assert reload(file).status == FileStatus.STORED
    assert [r.path for r in fake.requests] == ["/files/F0FILE1/old", "/files/F0FILE1/lease.txt"]


def test_a_redirect_to_another_host_is_refused_and_the_token_never_goes_there(
    ctx: Flask, fake: SlackFake
) -> None:
    elsewhere = fake.url.replace("127.0.0.1", "localhost") + "/files/F0FILE1/lease.txt"
    fake.files["/files/F0FILE1/moved"] = Reply(status=302, headers={"Location": elsewhere})
    fake.files["/files/F0FILE1/lease.txt"] = Reply(body=LEASE)
    file = pending(fake.url + "/files/F0FILE1/moved")

    copy_file(file)

    refused = reload(file)
    assert refused.status == FileStatus.UNREADABLE
    assert "http://localhost, which is not a Slack file host" in refused.status_reason
    assert [r.path for r in fake.requests] == ["/files/F0FILE1/moved"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "https://files.evil.example/F0FILE1/lease.txt",
            "https://files.evil.example, which is not a Slack file",
        ),
        ("https://files.slack.com@127.0.0.1/x", "https://127.0.0.1"),  # userinfo is not the host
        ("", "an invalid link"),
    ],
)
@pytest.mark.parametrize("extra", [{"SLACK_FILE_HOSTS": ["files.slack.com"], "SLACK_FILE_ALLOW_HTTP": False}])
def test_a_link_off_the_allowlist_is_never_fetched(
    ctx: Flask, fake: SlackFake, url: str, reason: str, extra: dict[str, Any]
) -> None:
    file = pending(url)

    copy_file(file)

    refused = reload(file)
    assert refused.status == FileStatus.UNREADABLE
    assert reason in refused.status_reason
    assert fake.requests == []


@pytest.mark.parametrize("extra", [{"SLACK_FILE_ALLOW_HTTP": False}])
def test_plain_http_is_refused_unless_allowed_for_a_local_stand_in(
    ctx: Flask, fake: SlackFake, extra: dict[str, Any]
) -> None:
    fake.files["/files/F0FILE1/lease.txt"] = Reply(body=LEASE)
    file = pending(fake.url + "/files/F0FILE1/lease.txt")

    copy_file(file)

    assert reload(file).status == FileStatus.UNREADABLE
    assert fake.requests == []


def test_slacks_sign_in_page_served_instead_of_the_file_is_refused(ctx: Flask, fake: SlackFake) -> None:
    fake.files["/files/F0FILE1/lease.pdf"] = Reply(body=SIGN_IN_PAGE, headers={"Content-Type": "text/html"})
    file = pending(fake.url + "/files/F0FILE1/lease.pdf", name="lease.pdf", size=48213)

    copy_file(file)

    refused = reload(file)
    assert refused.status == FileStatus.UNREADABLE
    assert "sign-in page" in refused.status_reason
    assert refused.uploaded_at is None
    assert not get_storage().exists(refused.storage_key)
    assert any("sign-in page" in message for message in timeline(file.case_id))


def test_an_html_attachment_is_kept_but_a_page_of_the_wrong_size_is_not(ctx: Flask, fake: SlackFake) -> None:
    page = b"<!DOCTYPE html><html><body>Minutes of the board meeting</body></html>"
    fake.files["/files/F0FILE1/minutes.html"] = Reply(body=page)
    fake.files["/files/F0FILE2/notes.html"] = Reply(body=SIGN_IN_PAGE)
    minutes = pending(fake.url + "/files/F0FILE1/minutes.html", name="minutes.html", size=len(page))
    notes = pending(fake.url + "/files/F0FILE2/notes.html", name="notes.html", size=9000)

    copy_file(minutes)
    copy_file(notes)

    assert reload(minutes).status == FileStatus.STORED
    assert "received" in reload(notes).status_reason and "9,000" in reload(notes).status_reason


@pytest.mark.parametrize("extra", [{"MAX_FILE_MB": 1}])
def test_a_file_over_the_size_limit_is_refused(ctx: Flask, fake: SlackFake, extra: dict[str, Any]) -> None:
    fake.files["/files/F0FILE1/big.bin"] = Reply(body=b"\x00" * (1024 * 1024 + 1))
    file = pending(fake.url + "/files/F0FILE1/big.bin", name="big.bin")

    copy_file(file)

    refused = reload(file)
    assert refused.status == FileStatus.UNREADABLE
    assert "larger than 1 MB" in refused.status_reason


def test_a_transient_error_is_tried_again(ctx: Flask, fake: SlackFake) -> None:
    fake.script("/files/F0FILE1/lease.txt", Reply(status=503, body="busy", headers={"Retry-After": "0"}))
    fake.files["/files/F0FILE1/lease.txt"] = Reply(body=LEASE)
    file = pending(fake.url + "/files/F0FILE1/lease.txt")

    copy_file(file)

    assert reload(file).status == FileStatus.STORED
    assert len(fake.calls("/files/F0FILE1/lease.txt")) == 2


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(status=404, body="gone"), "no longer has the file"),
        (Reply(status=403, body="no"), "check the bot token"),
        (Reply(status=200, body=b""), "empty file"),
    ],
)
def test_a_file_that_cannot_be_fetched_is_marked_unreadable_with_the_reason(
    ctx: Flask, fake: SlackFake, reply: Reply, reason: str
) -> None:
    fake.files["/files/F0FILE1/lease.txt"] = reply
    file = pending(fake.url + "/files/F0FILE1/lease.txt")

    copy_file(file)

    refused = reload(file)
    assert refused.status == FileStatus.UNREADABLE
    assert reason in refused.status_reason


@pytest.mark.parametrize("extra", [{"SLACK_BOT_TOKEN": None, "SLACK_SIGNING_SECRET": None}])
def test_without_a_bot_token_slack_files_are_marked_unreadable(
    ctx: Flask, fake: SlackFake, extra: dict[str, Any]
) -> None:
    file = pending(fake.url + "/files/F0FILE1/lease.txt")

    copy_file(file)

    assert "Slack is not configured" in reload(file).status_reason
    assert fake.requests == []


def test_the_workers_fetch_step_copies_pending_files(ctx: Flask, fake: SlackFake) -> None:
    fake.files["/files/F0FILE1/lease.txt"] = Reply(body=LEASE)
    file = pending(fake.url + "/files/F0FILE1/lease.txt")
    token = cases.claim_case(file.case_id)
    assert token is not None

    _Attempt(file.case_id, token).fetch_pending(file)

    assert file.status == FileStatus.STORED  # refreshed in place for the next step
    assert db.session.get(Case, file.case_id).step == "copying lease.txt from Slack"
