"""The reference upload: the same video sent to the Bot API emulator N times at once, each a bare
multipart sendVideo POST from its own process (aiohttp, no bot around it)."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import aiohttp


async def upload_all(api_url: str, data: bytes, count: int, first_chat: int) -> float:
    """Seconds from the first request's start to the last answer."""
    async with aiohttp.ClientSession() as http:
        started = time.perf_counter()
        await asyncio.gather(*(_upload(http, api_url, data, first_chat + n) for n in range(count)))
        return time.perf_counter() - started


async def _upload(http: aiohttp.ClientSession, api_url: str, data: bytes, chat: int) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(chat))
    form.add_field("video", data, filename="bare.mp4", content_type="video/mp4")
    async with http.post(f"{api_url}/sendVideo", data=form) as response:
        answer = await response.json()
    if not answer.get("ok"):
        raise RuntimeError(f"sendVideo refused: {answer.get('description')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api-url", required=True, help="the emulator's /bot<token> root")
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--first-chat", type=int, required=True)
    args = parser.parse_args()
    data = args.file.read_bytes()  # read before the clock starts, as the bot has its file
    seconds = asyncio.run(upload_all(args.api_url, data, args.count, args.first_chat))
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
