"""Photobot's import graph between its parts, and any import from a lower layer to a higher one.

Usage: python3 scripts/import_graph.py [PROJECT_DIR]   (exit 1 when a lower layer imports up)
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

# Lowest first: a part may import its own layer and those below it, never above.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset(
        {"constants", "errors", "config", "log_context", "loops", "codec", "keyed_locks", "due"}
    ),
    frozenset({"locales"}),
    frozenset({"media", "models", "storage", "metrics"}),
    frozenset({"providers", "flood"}),
    frozenset({"texts"}),
    frozenset({"jobs", "users", "credits"}),
    frozenset({"intake", "admin"}),
    frozenset({"deps"}),
    frozenset({"handlers", "web"}),
    frozenset({"app", "runtime", "sandbox", "bench", "__main__", "__init__"}),
)
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def part_of(module: str) -> str:
    """`bot.jobs.start.service` -> `jobs`; `bot` itself -> `__init__`."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "__init__"


def imports(path: Path) -> set[str]:
    """The `bot...` modules a file imports at run time (`from bot import texts` counts as
    `bot.texts`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:  # for annotations only: no import at run time
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "bot":
                found.update(f"bot.{alias.name}" for alias in node.names)
            elif node.module.startswith("bot."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("bot."))
    return found


def edges(root: Path) -> dict[str, set[str]]:
    """Part -> the other parts it imports."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sorted((root / "bot").rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        source = part_of(module.removesuffix(".__init__"))
        graph[source].update(part_of(m) for m in imports(path) if part_of(m) != source)
    return dict(graph)


def upward(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports from a lower layer into a higher one (or into a part no layer names)."""
    return sorted(
        (source, target)
        for source, targets in graph.items()
        for target in targets
        if RANK.get(target, len(LAYERS)) > RANK.get(source, -1)
    )


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    graph = edges(root)
    for source in sorted(graph, key=lambda p: (RANK.get(p, len(LAYERS)), p)):
        print(f"{source:>11} -> {', '.join(sorted(graph[source])) or '-'}")
    wrong = upward(graph)
    for source, target in wrong:
        print(f"upward: {source} imports {target}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
