"""Docket: case intake for legal teams. `create_app` reads like a table of contents."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from flask import Flask

from app import config, database, errors, security, storage


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings → database → storage → security → errors → pages, API and Slack."""
    app = Flask(
        __name__,
        template_folder=str(config.PROJECT_ROOT / "templates"),
        static_folder=str(config.PROJECT_ROOT / "static"),
    )
    if overrides is None:
        load_dotenv(config.PROJECT_ROOT / ".env")
    # Tests pass every setting they need: the environment (and its keys) never leaks into them.
    settings = config.load() if overrides is None else config.load({})
    settings.update(overrides or {})
    app.config.update(settings)
    app.config.update(config.flask_settings(settings))
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    database.init_app(app)
    storage.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from app import api, health, slack, storage_commands, web

    web.init_app(app)
    api.init_app(app)
    health.init_app(app)
    slack.init_app(app)
    storage_commands.init_app(app)
    return app
