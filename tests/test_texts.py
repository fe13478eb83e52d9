"""What users read: provider reasons cleaned of anything that is not plain text."""

from __future__ import annotations

import pytest

from bot.texts import MAX_REASON_CHARS, clean_reason


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("Your prompt was flagged.", "Your prompt was flagged."),
        ("Harap coba lagi. Gambar ditolak.", "Harap coba lagi. Gambar ditolak."),
        ("bell\x07 nul\x00 esc\x1b[1;31m bold\x1b[0m", "bell nul esc bold"),
        ("title\x1b]0;pwned\x07 end", "title end"),
        ("\u202eright-to-left\u202c and \u2066isolate\u2069", "right-to-left and isolate"),
        ("zero\u200bwidth\u200d\ufeff joiners", "zerowidth joiners"),
        ("line\u2028break\nnew\tline", "line break new line"),
        ("see example.com or sub.example.co.id/path?x=1", "see or"),
        ("ask t.me/someone or @someone_admin", "ask or"),
        ("mail a.b@example.org now", "mail now"),
        ("go https://x.y/z?sig=abc and www.foo.org", "go and"),
        ("Z\u0301\u0302\u0303\u0304\u0305algo", "Z\u0301\u0302algo"),
        ("private\ue000use", "privateuse"),
    ],
)
def test_reasons_are_printable_text_without_links_or_handles(reason: str, shown: str) -> None:
    assert clean_reason(reason) == shown


def test_long_reasons_are_capped() -> None:
    text = clean_reason("word " * 500)
    assert len(text) == MAX_REASON_CHARS
    assert text.endswith("…")
