"""The Content-Disposition builder shared by both storage backends (RFC 6266 / RFC 5987)."""

from __future__ import annotations

import pytest

from app.disposition import attachment


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("brief.pdf", "attachment; filename=\"brief.pdf\"; filename*=UTF-8''brief.pdf"),
        ("報告書.pdf", "attachment; filename=\"___.pdf\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.pdf"),
        ("Ärztlich.docx", "attachment; filename=\"Arztlich.docx\"; filename*=UTF-8''%C3%84rztlich.docx"),
        # Quotes, backslashes and % cannot break out of the quoted fallback; `filename*` keeps them.
        (
            'a"b\\c 100%.txt',
            "attachment; filename=\"a_b_c 100_.txt\"; filename*=UTF-8''a%22b%5Cc%20100%25.txt",
        ),
        ("x;y/z.txt", "attachment; filename=\"x;y/z.txt\"; filename*=UTF-8''x%3By%2Fz.txt"),
    ],
)
def test_names_are_an_ascii_fallback_plus_the_exact_utf8_name(name: str, expected: str) -> None:
    assert attachment(name) == expected
    assert attachment(name).isascii()
