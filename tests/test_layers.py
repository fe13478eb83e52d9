"""The layout's rules hold: no lower layer imports a higher one, and no package outside the
provider packages, the registry, the sandbox and config names a provider or a model."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts/import_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_lower_layer_imports_a_higher_one() -> None:
    graph = _script()
    edges = graph.edges(ROOT)
    assert "jobs" in edges and "texts" in edges  # the walk found the package
    assert graph.upward(edges) == []


def test_every_part_has_a_layer() -> None:
    graph = _script()
    parts = {p.stem if p.is_file() else p.name for p in (ROOT / "bot").iterdir()}
    parts = {p for p in parts if not p.startswith("__pycache__") and p not in ("py", "")}
    assert parts - {"__init__"} <= set(graph.RANK), "add the new part to LAYERS"


# ngrok, the tunnel `photobot check` recognises, is not Grok.
_PROVIDER_OR_MODEL = re.compile(r"kie|novita|nano-banana|suno|sora|kling|(?<!n)grok|seedream", re.I)
_MAY_NAME_THEM = ("providers", "models", "sandbox", "bench", "locales", "config.py")


def test_only_their_rooms_name_providers_and_models() -> None:
    named = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if path.relative_to(ROOT / "bot").parts[0] not in _MAY_NAME_THEM
        # the seed document names the pub/sub channel this way
        and _PROVIDER_OR_MODEL.search(path.read_text(encoding="utf-8").replace("kie:callback", ""))
    ]
    assert named == []
