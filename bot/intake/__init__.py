"""The Telegram side before a job exists: sent files, screening, albums, presets, flows."""
