"""What Photobot keeps per user, under keys named by the user id: settings and language."""

from bot.users.language import UserLanguages
from bot.users.settings import UserSettings

__all__ = ["UserLanguages", "UserSettings"]
