"""Delivering a final job to its chat exactly once: download, render, upload, links."""

from bot.jobs.deliver.deliverer import Deliverer
from bot.jobs.deliver.retry import RetryPolicy
from bot.jobs.deliver.subscriber import Subscriber

__all__ = ["Deliverer", "RetryPolicy", "Subscriber"]
