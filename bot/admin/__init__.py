"""Admins' view of the bot: figures for /stats and alerts about operator problems."""
