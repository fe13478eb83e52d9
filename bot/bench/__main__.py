"""`python -m bot.bench` (`photobot-bench`): checks that the `bench` extra it runs on (moto's S3
server) is installed, then runs the benchmark (bot/bench/run.py)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

EXIT_MISSING_DEPENDENCIES = 2


def missing_dependency_line(module: str) -> str:
    """One line naming the module and the command that installs the benchmark's extra."""
    install = f"{sys.executable} -m pip install -e '.[bench]'"
    return (
        f"photobot-bench: the benchmark needs Photobot's bench extra ({module} is not "
        f"installed); in the Photobot checkout run: {install}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    try:
        from bot.bench.run import run
    except ModuleNotFoundError as exc:
        module = (exc.name or "").partition(".")[0]
        if module in ("", "bot"):  # our own code missing is a bug, not an install step
            raise
        print(missing_dependency_line(module), file=sys.stderr)
        raise SystemExit(EXIT_MISSING_DEPENDENCIES) from None
    run(argv)


if __name__ == "__main__":
    main()
