"""CI runs the README's test command verbatim, and that command installs the browser first."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_readme_test_command_which_installs_chromium_first() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(.*pytest)\n```", readme)
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()

    assert len(commands) == 1
    assert commands[0] in ci_lines
    assert commands[0].startswith("sh scripts/install-chromium.sh && ")
