"""The embedded aiohttp server: provider callbacks, Telegram webhook, health, local media."""
