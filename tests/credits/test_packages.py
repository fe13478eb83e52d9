"""Invoice payloads name their package and nothing else this bot did not write parses; the
pre-checkout and payment decisions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.credits.packages import (
    MAX_PAYLOAD_BYTES,
    Checkout,
    Package,
    checkout,
    packages,
    paid_for,
    parse_payload,
)

OFFERED = packages([(150, 330), (50, 100)])
SMALL = Package(50, 100)


def test_packages_come_cheapest_first() -> None:
    assert [(p.stars, p.credits) for p in OFFERED] == [(50, 100), (150, 330)]


@given(st.integers(1, 999_999), st.integers(1, 999_999_999))
def test_a_payload_names_its_package_within_telegrams_limit(stars: int, credits: int) -> None:
    package = Package(stars, credits)
    assert len(package.payload.encode()) <= MAX_PAYLOAD_BYTES
    assert parse_payload(package.payload) == package


@pytest.mark.parametrize(
    "payload",
    ["", "stars:50:100", "v2:stars:50:100", "v1:stars:0:100", "v1:stars:50:0", "v1:stars:050:100",
     "v1:stars:50:100:extra", " v1:stars:50:100", "v1:stars:-50:100", "v1:stars:50:1e3",
     "v1:stars:50:100\n", "v1:stars:" + "9" * 200 + ":1"],
)  # fmt: skip
def test_anything_else_is_no_package(payload: str) -> None:
    assert parse_payload(payload) is None


@given(st.text(max_size=140))
def test_arbitrary_payloads_never_raise(payload: str) -> None:
    parse_payload(payload)


def test_checkout_is_ok_for_an_offered_package_at_its_price() -> None:
    assert checkout(OFFERED, SMALL.payload, "XTR", 50, allowed=True) is Checkout.OK


@pytest.mark.parametrize(
    ("payload", "currency", "total"),
    [
        (Package(70, 100).payload, "XTR", 70),  # removed since the invoice
        (Package(50, 999).payload, "XTR", 50),  # same price, other credits
        (SMALL.payload, "XTR", 49),  # not its price
        (SMALL.payload, "USD", 50),
        ("garbage", "XTR", 50),
    ],
)
def test_checkout_says_the_offer_changed(payload: str, currency: str, total: int) -> None:
    assert checkout(OFFERED, payload, currency, total, allowed=True) is Checkout.CHANGED


def test_checkout_refuses_a_user_not_let_in_whatever_the_offer() -> None:
    assert checkout(OFFERED, SMALL.payload, "XTR", 50, allowed=False) is Checkout.REFUSED


def test_nothing_is_offered_with_payments_off() -> None:
    assert checkout((), SMALL.payload, "XTR", 50, allowed=True) is Checkout.CHANGED


def test_a_payment_buys_what_its_invoice_named_even_if_since_removed() -> None:
    assert paid_for(SMALL.payload, "XTR", 50) == SMALL
    assert paid_for(Package(70, 123).payload, "XTR", 70) == Package(70, 123)


@pytest.mark.parametrize(
    ("payload", "currency", "total"),
    [(SMALL.payload, "XTR", 49), (SMALL.payload, "XTR", 51), (SMALL.payload, "EUR", 50),
     ("v1:stars:50", "XTR", 50)],
)  # fmt: skip
def test_a_mismatched_payment_buys_nothing(payload: str, currency: str, total: int) -> None:
    assert paid_for(payload, currency, total) is None
