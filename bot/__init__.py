"""Photobot: a Telegram bot that turns a photo and a prompt into an AI-generated image."""

__version__ = "0.1.0"
