"""The reference server: a bare aiohttp handler that parses the JSON body and answers 200."""

from __future__ import annotations

import argparse
import json

from aiohttp import web

from bot.__main__ import new_event_loop

_OK = b'{"code":200,"msg":"success"}'


async def bare_callback(request: web.Request) -> web.Response:
    json.loads(await request.read())
    return web.Response(body=_OK, content_type="application/json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    app = web.Application()
    app.router.add_post("/api/kie/callback", bare_callback)
    # The same event loop the bot runs on, so the comparison is handler against handler.
    web.run_app(
        app, host="127.0.0.1", port=port, print=None, access_log=None, loop=new_event_loop()
    )


if __name__ == "__main__":
    main()
