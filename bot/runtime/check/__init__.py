"""`photobot check`: a live configuration checked end to end without spending credits, one
module per part (token, provider keys, storage, public URL, Redis, webhook settings)."""

from bot.runtime.check.run import EXIT_ALL_PASSED, EXIT_SOME_FAILED, gather_lines, run_checks

__all__ = ["EXIT_ALL_PASSED", "EXIT_SOME_FAILED", "gather_lines", "run_checks"]
