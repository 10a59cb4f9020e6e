from datetime import date, timedelta

import pytest

from app.config import load
from app.rules import (
    InputErrors,
    clean_file_name,
    earliest_due_date,
    latest_due_date,
    parse_due_date,
    validate,
)

CONFIG = load({})


def test_due_date_is_a_plain_calendar_date() -> None:
    day = earliest_due_date() + timedelta(days=3)
    assert parse_due_date(day.isoformat()) == day


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter a due date."),
        ("   ", "Enter a due date."),
        (None, "Enter a due date."),
        ("03/12/2027", "YYYY-MM-DD"),
        ("20270312", "YYYY-MM-DD"),
        ("２０２７-01-15", "YYYY-MM-DD"),
        ("2027-02-30", "not a real calendar date"),
        ("2027-13-01", "not a real calendar date"),
        ("9999-12-31", "more than 10 years ahead"),
        ("2001-01-01", "in the past"),
    ],
)
def test_bad_due_dates_are_refused_with_a_reason(raw: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_due_date(raw)


def test_today_anywhere_on_earth_is_accepted_but_the_day_before_is_not() -> None:
    assert parse_due_date(earliest_due_date()) == earliest_due_date()
    with pytest.raises(ValueError, match="in the past"):
        parse_due_date(earliest_due_date() - timedelta(days=1))
    assert parse_due_date(latest_due_date()) == latest_due_date()
    with pytest.raises(ValueError, match="10 years"):
        parse_due_date(latest_due_date() + timedelta(days=1))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\brief.docx", "brief.docx"),
        ("a\x00b.txt", "ab.txt"),
        ("報告書", "報告書"),
        ("\u202egpj.exe", "gpj.exe"),
        ("", "unnamed file"),
        ("..", "unnamed file"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_file_names_are_cleaned_for_display(raw: str, expected: str) -> None:
    assert clean_file_name(raw) == expected


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InputErrors) as caught:
        validate(title="t" * 201, details="   ", due_date="nope", uploads=[], slack_files=[], config=CONFIG)
    assert set(caught.value.errors) == {"title", "details", "due_date"}


def test_details_limit_and_control_characters() -> None:
    with pytest.raises(InputErrors) as caught:
        validate(
            title="",
            details="x" * 20_001,
            due_date=date.today() + timedelta(days=2),
            uploads=[],
            slack_files=[],
            config=CONFIG,
        )
    assert "20,001" in caught.value.errors["details"]
    ok = validate(
        title="a\x00b",
        details=" keep\ttabs\nand lines\x07 ",
        due_date=date.today() + timedelta(days=2),
        uploads=[],
        slack_files=[],
        config=CONFIG,
    )
    assert ok.title == "ab"
    assert ok.details == "keep\ttabs\nand lines"
