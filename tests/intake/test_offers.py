"""Imagine offers in Redis: taken once, only under their own keyboard, gone when expired."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from redis.asyncio import Redis

from bot.intake.offers import ImagineOffer, ImagineOffers

OFFER = ImagineOffer(chat_id=7, user_id=7, message_id=10, prompt="a fox “in” snow 灯台",
                     keyboard_message_id=11)  # fmt: skip


async def test_two_presses_at_once_take_the_offer_once(redis: Redis) -> None:
    offers, other_replica = ImagineOffers(redis), ImagineOffers(redis)
    await offers.save(OFFER)

    taken = await asyncio.gather(offers.take(7, 7, 10, 11), other_replica.take(7, 7, 10, 11))

    assert sorted(taken, key=bool) == [None, OFFER]


async def test_only_its_keyboard_and_its_sender_take_it(redis: Redis) -> None:
    offers = ImagineOffers(redis)
    await offers.save(OFFER)

    assert await offers.take(7, 7, 10, 99) is None  # a forged press on another message
    assert await offers.take(7, 8, 10, 11) is None  # someone else
    assert await offers.take(7, 7, 10, 11) == OFFER


async def test_an_offer_lives_for_its_ttl(redis: Redis) -> None:
    offers = ImagineOffers(redis, ttl_s=30)
    await offers.save(OFFER)

    [key] = await redis.keys("offer:imagine:*")
    assert key == "offer:imagine:7:7:10"
    assert 0 < await redis.ttl(key) <= 30


async def test_only_a_users_newest_offers_are_kept(redis: Redis) -> None:
    offers = ImagineOffers(redis, kept=3)
    for message_id in range(1, 6):
        await offers.save(replace(OFFER, message_id=message_id, keyboard_message_id=100))

    kept = await redis.keys("offer:imagine:*")
    assert sorted(kept) == [f"offer:imagine:7:7:{n}" for n in (3, 4, 5)]
    assert await redis.llen("offers:imagine:7:7") == 3
    assert await offers.take(7, 7, 1, 100) is None  # the oldest went
    assert await offers.take(7, 7, 5, 100) == replace(OFFER, message_id=5, keyboard_message_id=100)
