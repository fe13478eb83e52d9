"""Each sandbox user's app language: the default they came with, their latest pick, and a bound
on made-up guests' picks that never forgets a sample user's."""

from __future__ import annotations

import pytest

from bot.sandbox.languages import MAX_GUEST_CHOICES, ChosenLanguages, known


def test_a_pick_replaces_the_default_and_guests_start_in_english() -> None:
    chosen = ChosenLanguages({1: "en", 2: "id"})
    chosen.pick(1, "de")

    assert (chosen.of(1), chosen.of(2), chosen.of(99)) == ("de", "id", "en")


@pytest.mark.parametrize("code", ["xx", "", "ID", "id-ID", None, 1])
def test_only_the_pickers_languages_are_known(code: object) -> None:
    chosen = ChosenLanguages({2: "id"})
    assert not known(code)
    with pytest.raises(ValueError, match="unknown app language"):
        chosen.pick(2, code)  # type: ignore[arg-type]
    assert chosen.of(2) == "id"


def test_the_oldest_guests_picks_are_forgotten_never_a_sample_users() -> None:
    chosen = ChosenLanguages({1: "en"})
    chosen.pick(1, "id")
    guests = range(1000, 1000 + MAX_GUEST_CHOICES + 2)
    for guest in guests:
        chosen.pick(guest, "de")

    assert chosen.of(1) == "id"
    assert [chosen.of(g) for g in guests[:2]] == ["en", "en"]  # forgotten: the default again
    assert {chosen.of(g) for g in guests[2:]} == {"de"}
