"""Reading cases, and the small writes every part of the service shares."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from app.models import Case, CaseEvent, CaseFile, db


class CaseNotFound(Exception):
    pass


def fit(column: sa.orm.InstrumentedAttribute[str | None], text: str) -> str:
    """Cut text derived from user input (a file name in a step, a requester's name) to its column's
    length: PostgreSQL refuses what does not fit, where SQLite would quietly store it."""
    limit = column.type.length
    return text if len(text) <= limit else text[: limit - 1] + "…"


def get_case(case_id: str) -> Case:
    """The case with this id; malformed ids are simply not found."""
    try:
        canonical = str(uuid.UUID(case_id))
    except (ValueError, TypeError, AttributeError):
        raise CaseNotFound(case_id) from None
    case = db.session.get(Case, canonical)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def list_cases(limit: int = 100, offset: int = 0) -> list[Case]:
    return list(
        db.session.scalars(
            sa.select(Case).order_by(Case.created_at.desc(), Case.id).limit(limit).offset(offset)
        )
    )


def update_case(where: sa.ColumnElement[bool], **values: Any) -> bool:
    """One conditional UPDATE of a case; True when it matched (the condition is the guard)."""
    result = db.session.execute(
        sa.update(Case).where(where).values(**values).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def stage_event(case_id: str, kind: str, message: str) -> None:
    """Add a timeline event to the transaction in progress (committed with the change it describes)."""
    db.session.add(CaseEvent(case_id=case_id, kind=kind, message=message))


def add_event(case_id: str, kind: str, message: str) -> None:
    stage_event(case_id, kind, message)
    db.session.commit()


def update_file(file_id: str, **values: Any) -> None:
    db.session.execute(
        sa.update(CaseFile)
        .where(CaseFile.id == file_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
