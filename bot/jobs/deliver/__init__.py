"""Delivering a final job to its chat exactly once: download, render, upload, links."""
