"""What users read: provider reasons cleaned of anything that is not plain text, a failure's text
by its kind, and no provider names or plumbing in any text."""

from __future__ import annotations

import pytest

from bot import texts
from bot.errors import FailureKind
from bot.locales import LANGUAGES
from bot.texts import MAX_REASON_CHARS, clean_reason
from tests.catalogue import catalogue, sources


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


URL_REASON = "Your prompt https://evil.example/x?token=abc was flagged, see www.kie.ai/help now"


@pytest.mark.parametrize(
    ("reason", "cleaned"),
    [
        ("", ""),
        ("  plain  reason ", "plain reason"),
        (URL_REASON, "Your prompt was flagged, see now"),
        ("http://a https://b ftp://c", ""),
        ("x" * 300, "x" * 300),
        ("x" * 301, "x" * 299 + "…"),
        ("word " * 100, " ".join(["word"] * 60) + "…"),
    ],
    ids=["empty", "spaces", "urls-removed", "only-urls", "at-cap", "over-cap", "words-over-cap"],
)
def test_clean_reason(reason: str, cleaned: str) -> None:
    result = texts.clean_reason(reason)
    assert result == cleaned
    assert len(result) <= texts.MAX_REASON_CHARS


def test_only_rejected_shows_the_reason() -> None:
    reason = "Secret internal detail 12345"
    for kind in FailureKind:
        text = texts.failure_text(kind, reason)
        if kind is FailureKind.REJECTED:
            assert reason in text
            assert text == texts.FAILURE_BY_KIND[kind]().format(reason=reason)
        else:
            assert reason not in text
            assert text == texts.FAILURE_BY_KIND[kind]()


def test_rejected_without_reason_uses_default_wording() -> None:
    assert texts.REJECTED_NO_REASON() in texts.failure_text(FailureKind.REJECTED, "")
    assert texts.REJECTED_NO_REASON() in texts.failure_text(FailureKind.REJECTED, "https://x/y")


def test_rejected_reason_is_cleaned_and_capped() -> None:
    text = texts.failure_text(FailureKind.REJECTED, URL_REASON + " " + "y" * 500)
    assert "://" not in text and "www." not in text
    assert "y" * 300 not in text and "…" in text


def test_rejected_reason_with_braces_is_not_a_template() -> None:
    text = texts.failure_text(FailureKind.REJECTED, "bad {reason} {0}")
    assert "bad {reason} {0}" in text


@pytest.mark.parametrize("kind", ["unknown", "", "FAILED"])
def test_unknown_kind_falls_back_to_generic_failure(kind: str) -> None:
    assert texts.failure_text(kind, "detail") == texts.FAILURE_BY_KIND[FailureKind.FAILED]()


def test_every_failure_kind_has_a_text() -> None:
    assert set(texts.FAILURE_BY_KIND) == set(FailureKind)


def _emoji_count(text: str) -> int:
    return sum(1 for ch in text if 0x1F300 <= ord(ch) <= 0x1FAFF or 0x2600 <= ord(ch) <= 0x27BF)


def _user_texts() -> list[tuple[str, str]]:
    """Every sentence in every language: English as the code names it, and each catalogue's."""
    english = [(f"en: {text[:40]}", text) for text in sources()]
    translated = [
        (f"{language}: {str(message.id)[:40]}", text)
        for language in LANGUAGES[1:]
        for message in catalogue(language)
        if message.id
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
    ]
    return english + translated


USER_TEXTS = _user_texts()


def test_user_texts_were_collected() -> None:
    texts_found = {text for _, text in USER_TEXTS}
    assert {texts.START.source, texts.NOT_AN_IMAGE.source} <= texts_found
    assert texts.FAILURE_BY_KIND[FailureKind.FAILED].source in texts_found
    assert len(USER_TEXTS) >= 150


@pytest.mark.parametrize(("name", "text"), USER_TEXTS, ids=[n for n, _ in USER_TEXTS])
def test_user_text_hides_providers_and_plumbing(name: str, text: str) -> None:
    lowered = text.lower()
    for word in ("kie", "novita", "http", "token"):
        assert word not in lowered, f"{name} mentions {word!r}"
    assert _emoji_count(text) <= 1, f"{name} has more than one emoji"


@pytest.mark.parametrize(
    ("text", "count"), [("plain", 0), ("done 🎨", 1), ("☀ and ✨ and 🤖", 3), ("…“”", 0)]
)
def test_emoji_counter(text: str, count: int) -> None:
    assert _emoji_count(text) == count
