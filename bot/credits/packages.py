"""The Stars packages /buy offers (STAR_PACKAGES), their invoice payloads, and the decisions
taken on a pre-checkout query and a successful payment. Pure: no Redis, no Telegram.

The payload names the package the invoice was sent for (`v1:stars:50:100`, at most 128
bytes); it is never the payment's idempotency key (that is `telegram_payment_charge_id`: an
old invoice paid again is a new payment with a new charge id).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

STARS_CURRENCY = "XTR"
PAYLOAD_VERSION = "v1"
MAX_PAYLOAD_BYTES = 128  # Telegram's limit on an invoice payload
_PAYLOAD = re.compile(r"v1:stars:([1-9][0-9]{0,5}):([1-9][0-9]{0,8})")


@dataclass(frozen=True, slots=True)
class Package:
    """`credits` for `stars` Telegram Stars."""

    stars: int
    credits: int

    @property
    def payload(self) -> str:
        """The invoice payload that names this package."""
        return f"{PAYLOAD_VERSION}:stars:{self.stars}:{self.credits}"


def packages(pairs: Iterable[tuple[int, int]]) -> tuple[Package, ...]:
    """The packages of STAR_PACKAGES (stars:credits pairs), cheapest first."""
    return tuple(Package(stars, credits) for stars, credits in sorted(pairs))


def parse_payload(payload: str) -> Package | None:
    """The package an invoice payload names; None for anything this bot never wrote."""
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        return None
    match = _PAYLOAD.fullmatch(payload)
    return Package(int(match[1]), int(match[2])) if match else None


class Checkout(Enum):
    """The answer to a pre-checkout query."""

    OK = "ok"
    CHANGED = "changed"  # no such package now (or not at that price): send /buy again
    REFUSED = "refused"  # the user may not use the bot


def checkout(
    offered: Iterable[Package], payload: str, currency: str, total: int, *, allowed: bool
) -> Checkout:
    """OK when the payload names a package offered now, at that price, in Stars, for a user
    let in."""
    if not allowed:
        return Checkout.REFUSED
    package = parse_payload(payload)
    if package is None or currency != STARS_CURRENCY or total != package.stars:
        return Checkout.CHANGED
    return Checkout.OK if package in set(offered) else Checkout.CHANGED


def paid_for(payload: str, currency: str, total: int) -> Package | None:
    """What a successful payment buys: the package its invoice named, when the amount paid in
    Stars is that package's price; None for a mismatch (nothing is credited, admins are told).

    A package removed since the invoice (STAR_PACKAGES changed between pre-checkout and
    payment) is still credited as the invoice promised: the user paid what it said."""
    package = parse_payload(payload)
    if package is None or currency != STARS_CURRENCY or total != package.stars:
        return None
    return package
