"""Slack (DESIGN.md components 1, 2 and 4): one endpoint, `POST /slack/events`, served by a slack-bolt
App built from the settings. Without SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET the endpoint answers 503
and the rest of Docket works as before."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler

from app.security import csrf
from app.slack import delivery, listeners, pools

log = logging.getLogger(__name__)

EXTENSION = "docket.slack"
NOT_CONFIGURED = (
    "Slack is not configured on this Docket: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
    "(see docs/SLACK.md). The web form and the API work without it.\n"
)

bp = Blueprint("slack", __name__)


@bp.post("/slack/events")
def events() -> Response:
    handler: SlackRequestHandler | None = current_app.extensions.get(EXTENSION)
    if handler is None:
        return Response(NOT_CONFIGURED, status=503, mimetype="text/plain")
    # Bolt verifies the signature over the raw body, so nothing may parse request.form before this.
    return handler.handle(request)


def build_bolt_app(app: Flask) -> App:
    bolt = App(
        # Our client carries the Web API URL and timeout. (Bolt also reads SLACK_BOT_TOKEN from the
        # environment and logs that the client's token wins; with Docket's settings they are the same.)
        client=delivery.web_client(app.config),
        signing_secret=app.config["SLACK_SIGNING_SECRET"],
        # auth.test is called on the first request instead of at start-up, so Docket starts while
        # Slack is unreachable.
        token_verification_enabled=False,
        listener_executor=pools.listener_pool(app),
    )
    listeners.register(bolt)
    return bolt


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # Slack signs its requests instead; a CSRF check would also read the form before Bolt could.
    csrf.exempt(bp)
    if not (app.config["SLACK_BOT_TOKEN"] and app.config["SLACK_SIGNING_SECRET"]):
        log.info("Slack is off: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not both set")
        return
    pools.start_posting_pool(app)
    app.extensions[EXTENSION] = SlackRequestHandler(build_bolt_app(app))
