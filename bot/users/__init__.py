"""What Photobot keeps per user, under keys named by the user id: their settings."""

from bot.users.settings import UserSettings

__all__ = ["UserSettings"]
