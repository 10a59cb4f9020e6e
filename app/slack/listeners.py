"""The Slack listeners: `/create-case` opens the modal, its submission creates the case and posts the
link. Bolt runs them on its listener pool; the HTTP answer goes back to Slack as soon as they ack."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from slack_bolt import Ack, App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from app import cases
from app.rules import InputErrors
from app.slack import delivery, ids, notifier, pools, views

log = logging.getLogger(__name__)


def register(bolt: App) -> None:
    bolt.command(ids.COMMAND)(open_case_modal)
    bolt.view(ids.CASE_MODAL)(submit_case)
    bolt.error(report_error)


def open_case_modal(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    """Ack, then open the modal before anything else: the trigger_id dies 3 s after Slack sent it."""
    ack()
    config = current_app.config
    origin = views.Origin(
        channel_id=command.get("channel_id", ""),
        user_id=command.get("user_id", ""),
        response_url=command.get("response_url", ""),
    )
    modal = views.case_modal(
        title=command.get("text") or "",
        origin=origin,
        max_title_chars=config["MAX_TITLE_CHARS"],
        max_files=config["MAX_FILES"],
    )
    try:
        client.views_open(trigger_id=command["trigger_id"], view=modal)
    except SlackApiError as exc:
        _form_did_not_open(origin, exc.response.get("error") or f"HTTP {exc.response.status_code}")
    except (SlackClientError, OSError) as exc:
        _form_did_not_open(origin, type(exc).__name__)


def submit_case(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Field errors back into the modal, or create the case, close the modal, then post the link.

    The link goes out from here, not through the queue, so it is posted even while Redis is down.
    """
    submission = views.read_submission(view)
    origin = views.Origin.loads(view.get("private_metadata", ""))
    if len(submission.details) > views.SLACK_TEXT_MAX:
        too_long = f"Slack takes at most {views.SLACK_TEXT_MAX:,} characters here; use the web form for more."
        ack(response_action="errors", errors={ids.DETAILS_BLOCK: too_long})
        return
    user = body.get("user") or {}
    try:
        created = cases.create_case(
            source="slack",
            title=submission.title,
            details=submission.details,
            due_date=submission.due_date,
            slack_files=submission.files,
            requester=cases.Requester(
                slack_user_id=user.get("id"),
                slack_team_id=(body.get("team") or {}).get("id") or user.get("team_id"),
                slack_channel_id=origin.channel_id or None,
                slack_response_url=origin.response_url or None,
            ),
            # Slack redelivers, and users resubmit after "trouble connecting": one case per modal.
            idempotency_key=f"slack:{view['id']}",
        )
    except InputErrors as exc:
        ack(
            response_action="errors",
            errors={ids.BLOCK_FOR_FIELD[name]: text for name, text in exc.errors.items()},
        )
        return
    ack()
    if created.created:
        pools.in_background(notifier.post_link, created.case.id)


def report_error(
    error: Exception, body: dict[str, Any], response: BoltResponse | None
) -> BoltResponse | None:
    """Every unexpected error, logged with its traceback. A submission not yet acked keeps its modal
    open with a message, so the user can simply submit again (it still makes one case)."""
    log.error("Slack request failed (%s)", body.get("type") or body.get("command"), exc_info=error)
    if response is None or body.get("type") != "view_submission":
        return None
    return BoltResponse(
        status=200,
        body={
            "response_action": "errors",
            "errors": {ids.DETAILS_BLOCK: "Docket could not save the case just now. Please submit again."},
        },
    )


def _form_did_not_open(origin: views.Origin, reason: str) -> None:
    log.warning("views.open failed: %s", reason)
    text = f"Docket could not open the new-case form ({reason}). Please run `{ids.COMMAND}` again."
    try:
        delivery.post_to_url(origin.response_url, text=text, response_type="ephemeral")
    except delivery.PostFailed as exc:
        log.warning("could not tell the user either: %s", exc)
