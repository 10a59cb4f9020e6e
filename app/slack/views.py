"""The `/create-case` modal (Block Kit, built with slack_sdk.models) and reading its submission back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import DatePickerElement, InputBlock, PlainTextInputElement
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from app.rules import SlackFileRef
from app.slack import ids

# Slack caps a plain_text_input at 3,000 characters; longer details need the web form.
SLACK_TEXT_MAX = 3000
# file_input takes 1-10 files.
SLACK_FILES_MAX = 10


@dataclass(frozen=True)
class Origin:
    """Where the command ran. A view_submission carries no channel and no response_url, so the modal
    keeps them in its `private_metadata` (≤ 3,000 characters; this is about 200)."""

    channel_id: str
    user_id: str
    response_url: str

    def dumps(self) -> str:
        return json.dumps(
            {"c": self.channel_id, "u": self.user_id, "r": self.response_url}, separators=(",", ":")
        )

    @classmethod
    def loads(cls, raw: str) -> Origin:
        data = json.loads(raw or "{}")
        return cls(channel_id=data.get("c", ""), user_id=data.get("u", ""), response_url=data.get("r", ""))


@dataclass(frozen=True)
class Submission:
    title: str
    details: str
    due_date: str | None  # "YYYY-MM-DD" exactly as Slack sent it: a calendar date, no time zone
    files: list[SlackFileRef]


def case_modal(*, title: str, origin: Origin, max_title_chars: int, max_files: int) -> dict[str, Any]:
    """The modal, with the title prefilled from the command's text."""
    title_max = min(max_title_chars, SLACK_TEXT_MAX)
    files_max = max(1, min(max_files, SLACK_FILES_MAX))
    view = View(
        type="modal",
        callback_id=ids.CASE_MODAL,
        title="New case",
        submit="Create case",
        close="Cancel",
        private_metadata=origin.dumps(),
        blocks=[
            InputBlock(
                block_id=ids.TITLE_BLOCK,
                label="Title",
                optional=True,
                element=PlainTextInputElement(
                    action_id=ids.TITLE_ACTION,
                    initial_value=title.strip()[:title_max] or None,
                    max_length=title_max,
                    placeholder="e.g. Lease renewal for Acme Ltd",
                ),
            ),
            InputBlock(
                block_id=ids.DETAILS_BLOCK,
                label="Details",
                hint=f"At most {SLACK_TEXT_MAX:,} characters here; the web form takes longer details.",
                element=PlainTextInputElement(
                    action_id=ids.DETAILS_ACTION,
                    multiline=True,
                    max_length=SLACK_TEXT_MAX,
                ),
            ),
            InputBlock(
                block_id=ids.DUE_DATE_BLOCK,
                label="Due date",
                element=DatePickerElement(action_id=ids.DUE_DATE_ACTION, placeholder="Pick a date"),
            ),
            InputBlock(
                block_id=ids.FILES_BLOCK,
                label="Attachments",
                optional=True,
                hint=f"Up to {files_max} files of up to 10 MB each; Docket reads them in the background.",
                element=FileInputElement(action_id=ids.FILES_ACTION, max_files=files_max),
            ),
        ],
    )
    return view.to_dict()


def read_submission(view: dict[str, Any]) -> Submission:
    """The modal's fields from `view.state.values` (the one place that knows its shape)."""
    values = view.get("state", {}).get("values", {})

    def field(block: str, action: str) -> dict[str, Any]:
        return values.get(block, {}).get(action) or {}

    files = [
        SlackFileRef(
            slack_file_id=str(item.get("id", "")),
            name=item.get("name") or item.get("title") or "",
            # The download URL serves the bytes as an attachment; url_private may render a preview.
            url=item.get("url_private_download") or item.get("url_private") or "",
            size=item.get("size"),
        )
        for item in field(ids.FILES_BLOCK, ids.FILES_ACTION).get("files") or []
    ]
    return Submission(
        title=field(ids.TITLE_BLOCK, ids.TITLE_ACTION).get("value") or "",
        details=field(ids.DETAILS_BLOCK, ids.DETAILS_ACTION).get("value") or "",
        due_date=field(ids.DUE_DATE_BLOCK, ids.DUE_DATE_ACTION).get("selected_date"),
        files=files,
    )
