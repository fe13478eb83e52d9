"""Whom an admin's /ban names, and who the gate lets in before any lookup."""

from __future__ import annotations

import pytest

from bot.handlers.admin import ban_target
from bot.intake.screening import Gate
from bot.users.access import parse_user_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [("123456789", 123456789), (" 42 ", 42), ("0", None), ("-5", None), ("abc", None),
     ("\uff11\uff12\uff13", None), ("1" * 21, None), ("9" * 20, None), ("", None), ("12.5", None)],
)  # fmt: skip
def test_a_user_id_as_an_admin_types_it(text: str, expected: int | None) -> None:
    assert parse_user_id(text) == expected


def test_the_argument_wins_over_the_reply_and_two_arguments_name_nobody() -> None:
    assert ban_target(["77"], 55) == 77
    assert ban_target([], 55) == 55
    assert ban_target([], None) is None
    assert ban_target(["77", "88"], 55) is None
    assert ban_target(["x"], 55) is None


def test_the_gate_lets_admins_in_and_with_a_list_only_those_on_it() -> None:
    open_gate = Gate(admin_ids=frozenset({1}))
    assert open_gate.listed(2) and open_gate.exempt(1) and not open_gate.exempt(2)
    listed = Gate(admin_ids=frozenset({1}), allowed_ids=frozenset({3}))
    assert listed.listed(1) and listed.listed(3) and not listed.listed(2)
