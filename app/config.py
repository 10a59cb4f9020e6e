"""Settings, read from the environment (or `.env`) with a working default for each.

This is the only module that reads `os.environ`. Every setting is documented in
`.env.example`; tests pass overrides to `create_app` instead of touching the environment.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"

SLACK_FILE_HOSTS = "files.slack.com,files-pri.slack.com,files-edu.slack.com,files-origin.slack.com"


def _bool(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _optional(raw: str) -> str | None:
    return raw or None


# name -> (converter, default). A default of None means "unset".
SETTINGS: dict[str, tuple[Callable[[str], Any], str | None]] = {
    "SECRET_KEY": (str, None),
    "INSTANCE_DIR": (str, str(DEFAULT_INSTANCE)),
    "DATABASE_URL": (str, None),
    "REDIS_URL": (_optional, None),
    # Key prefix of the queues: two Docket installations can share one Redis with different names.
    "REDIS_NAMESPACE": (str, "docket"),
    "PUBLIC_BASE_URL": (lambda v: v.rstrip("/"), "http://localhost:3000"),
    "APP_TIMEZONE": (str, "UTC"),
    "HOST": (str, "127.0.0.1"),
    "PORT": (int, "3000"),
    # Input limits (DESIGN.md "Rules for input").
    "MAX_FILES": (int, "10"),
    "MAX_FILE_MB": (int, "100"),
    "MAX_CASE_MB": (int, "500"),
    "MAX_DETAILS_CHARS": (int, "20000"),
    "MAX_TITLE_CHARS": (int, "200"),
    # Storage.
    "STORAGE_BACKEND": (str, "local"),
    "STORAGE_DIR": (str, None),
    "S3_BUCKET": (_optional, None),
    "S3_ENDPOINT_URL": (_optional, None),
    "S3_PUBLIC_ENDPOINT_URL": (_optional, None),
    "S3_REGION": (str, "us-east-1"),
    "DOWNLOAD_URL_SECONDS": (int, "300"),
    # AI.
    "AI_PROVIDER": (str, "local"),
    "OPENAI_API_KEY": (_optional, None),
    "OPENAI_BASE_URL": (_optional, None),
    "OPENAI_MODEL": (str, "gpt-4o-mini"),
    "AI_CALL_TIMEOUT_SECONDS": (float, "300"),
    "AI_MAX_CALL_ATTEMPTS": (int, "5"),
    "AI_BACKOFF_SECONDS": (float, "2"),
    "AI_INPUT_TOKEN_BUDGET": (int, "100000"),
    "AI_CONCURRENCY": (int, "4"),
    "MAX_CASE_PAGES": (int, "500"),
    "MAX_OCR_PAGES": (int, "20"),
    "MAX_CASE_TOKENS": (int, "600000"),
    # Slack.
    "SLACK_BOT_TOKEN": (_optional, None),
    "SLACK_SIGNING_SECRET": (_optional, None),
    "SLACK_API_URL": (str, "https://slack.com/api/"),
    "SLACK_WEBHOOK_URL": (_optional, None),
    "SLACK_FILE_HOSTS": (_list, SLACK_FILE_HOSTS),
    "SLACK_FILE_ALLOW_HTTP": (_bool, "false"),
    "SLACK_POST_ATTEMPTS": (int, "6"),
    "SLACK_POST_BACKOFF_SECONDS": (int, "30"),
    # Queue, lease and sweeper timings.
    "MAX_ATTEMPTS": (int, "3"),
    "LEASE_SECONDS": (int, "60"),
    "RETRY_BACKOFF_SECONDS": (int, "15"),
    "SWEEP_INTERVAL_SECONDS": (int, "10"),
    "SUBMITTED_GRACE_SECONDS": (int, "30"),
    "QUEUE_RESEND_SECONDS": (int, "600"),
    "CASE_TIME_LIMIT_SECONDS": (int, "1200"),
    "WORKER_PROCESSES": (int, "2"),
    # Threads mostly wait on AI calls, so there are many; CPU-bound extraction is capped separately.
    "WORKER_THREADS": (int, "32"),
    "EXTRACT_CONCURRENCY": (int, "2"),
}


def _persistent_secret(instance: Path) -> str:
    """A secret key kept under instance/, so sessions and form tokens survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the settings dict from `env` (default: the process environment)."""
    env = os.environ if env is None else env
    settings = {}
    for name, (convert, default) in SETTINGS.items():
        raw = env.get(name, default)
        settings[name] = None if raw is None else convert(raw)
    instance = Path(settings["INSTANCE_DIR"])
    settings["DATABASE_URL"] = settings["DATABASE_URL"] or f"sqlite:///{instance / 'docket.db'}"
    settings["STORAGE_DIR"] = settings["STORAGE_DIR"] or str(instance / "files")
    return settings


def flask_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The Flask and extension keys derived from Docket's own settings."""
    return {
        "SECRET_KEY": settings["SECRET_KEY"] or _persistent_secret(Path(settings["INSTANCE_DIR"])),
        "SQLALCHEMY_DATABASE_URI": settings["DATABASE_URL"],
        # Room for the form fields around the largest allowed case; the service checks each file.
        "MAX_CONTENT_LENGTH": (settings["MAX_CASE_MB"] + 1) * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
    }
