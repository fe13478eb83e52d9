"""Admins' view of the bot: figures and the /stats report, alerts about operator problems."""

from bot.admin.alerts import AdminAlerts
from bot.admin.report import stats_report

__all__ = ["AdminAlerts", "stats_report"]
