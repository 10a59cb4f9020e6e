"""Operator commands for file storage: `flask storage check` and `flask storage cleanup`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from app.models import Case, db, utcnow
from app.storage import CASES_PREFIX, Storage, StorageError, StoredObject, get_storage

storage_cli = AppGroup("storage", help="Check file storage and remove leftovers.")


@storage_cli.command("check")
def check_command() -> None:
    """Write, read back and delete a probe object.

    Exits with status 1 and the reason when any step fails.
    """
    where = describe(current_app.config)
    try:
        get_storage().check()
    except StorageError as exc:
        raise click.ClickException(f"{where} is not usable: {exc}") from exc
    click.echo(f"{where} is reachable and writable.")


@storage_cli.command("cleanup")
@click.option(
    "--older-than",
    "minutes",
    type=click.IntRange(min=0),
    default=60,
    show_default=True,
    help="Only touch objects at least this many minutes old, so uploads in progress are left alone.",
)
@click.option("--dry-run", is_flag=True, help="List what would be removed, remove nothing.")
def cleanup_command(minutes: int, dry_run: bool) -> None:
    """Remove the files of cases that do not exist.

    A case's files are uploaded before its row is committed; when creation fails the service removes
    them, but a process killed in between leaves them behind. This finds and removes those.
    """
    storage = get_storage()
    count = size = 0
    for orphan in orphans(storage, timedelta(minutes=minutes)):
        click.echo(f"{'would remove' if dry_run else 'removing'} {orphan.key} ({orphan.size:,} bytes)")
        if not dry_run:
            storage.delete(orphan.key)
        count += 1
        size += orphan.size
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {count} object{'s' if count != 1 else ''} ({size:,} bytes).")


def orphans(storage: Storage, min_age: timedelta) -> Iterator[StoredObject]:
    """Objects under `cases/<case_id>/` older than `min_age` whose case has no row."""
    cutoff = utcnow() - min_age
    known: dict[str, bool] = {}
    for stored in storage.list_objects(CASES_PREFIX):
        if stored.modified > cutoff:
            continue
        case_id = stored.key.removeprefix(CASES_PREFIX).split("/", 1)[0]
        # Asked as each case is met, not listed up front, so a case committed meanwhile is seen.
        if case_id not in known:
            known[case_id] = db.session.scalar(sa.select(sa.exists().where(Case.id == case_id)))
        if not known[case_id]:
            yield stored


def describe(config: dict[str, Any]) -> str:
    if config["STORAGE_BACKEND"] == "s3":
        endpoint = config["S3_ENDPOINT_URL"] or "AWS"
        return f"S3 bucket {config['S3_BUCKET']!r} at {endpoint}"
    return f"Local storage in {config['STORAGE_DIR']}"


def init_app(app: Flask) -> None:
    app.cli.add_command(storage_cli)
