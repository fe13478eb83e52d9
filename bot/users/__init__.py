"""What Photobot keeps per user: settings (language, bans and credits later)."""
