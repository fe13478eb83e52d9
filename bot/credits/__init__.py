"""Credits: what jobs cost, the ledger that holds, spends and gives back their price, and the
Telegram Stars that buy them. Money moves only in Lua, with the job's own transitions."""

from bot.credits.ledger import Balance, Entry, Ledger
from bot.credits.prices import Prices

__all__ = ["Balance", "Entry", "Ledger", "Prices"]
