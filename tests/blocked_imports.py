"""A child Python in which some modules cannot be imported, as on a machine without them."""

from __future__ import annotations

from pathlib import Path


def block_imports(directory: Path, *modules: str) -> dict[str, str]:
    """Environment variables that make `modules` unimportable in a child Python (a
    sitecustomize puts None in sys.modules before anything else runs), without uninstalling."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"sys.modules[{name!r}] = None" for name in modules]
    (directory / "sitecustomize.py").write_text("import sys\n" + "\n".join(lines) + "\n")
    return {"PYTHONPATH": str(directory)}
