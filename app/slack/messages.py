"""What Docket says in Slack, in mrkdwn. User and model text is escaped: `&`, `<` and `>` are Slack's
control characters, and a title like "<!channel>" must not notify anyone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.models import Case, CaseStatus

OVERVIEW_CHARS = 300


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def case_url(config: Mapping[str, Any], case_id: str) -> str:
    return f"{config['PUBLIC_BASE_URL']}/case/{case_id}"


def case_link(config: Mapping[str, Any], case: Case) -> str:
    """The mrkdwn link `<url|title>` (Markdown's `[title](url)` is not rendered in message text)."""
    return f"<{case_url(config, case.id)}|{escape(case.display_title)}>"


def link_text(config: Mapping[str, Any], case: Case) -> str:
    """The message posted as soon as the case is saved."""
    who = f"<@{case.slack_user_id}> opened" if case.slack_user_id else "New"
    return (
        f"{who} case *{case_link(config, case)}*\n"
        f"Case id `{case.id}`. Docket is reading the attachments and writing a summary; that takes a few "
        "minutes. The link shows the progress now and the summary when it is ready."
    )


def done_text(config: Mapping[str, Any], case: Case) -> str:
    """The notice when processing ended, completed or failed."""
    link = case_link(config, case)
    if case.status == CaseStatus.COMPLETED:
        overview = _one_line((case.summary or {}).get("overview") or "")
        return f"The summary of *{link}* is ready." + (f"\n>{escape(overview)}" if overview else "")
    reason = _one_line(case.error or "no reason was recorded")
    return f"Docket could not finish *{link}*: {escape(reason)}\nOpen the case to retry it."


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= OVERVIEW_CHARS else line[: OVERVIEW_CHARS - 1].rstrip() + "…"
