"""The package's layout holds: no import cycle, streamlit only under nnexplore/ui (never in runs/), no huge module or class."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "nnexplore"
MAX_LINES = 500
MAX_CLASS_LINES = 250
LONG_MODULES = {
    "nnexplore/experiments.py",  # prose: the experiments' questions, claims and explanations
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function: absolute names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                # `from package import module` imports the module; `from module import name` the module.
                sub = f"{source}.{alias.name}"
                out.add(sub if sub in known else source)
    return out


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: {m for m in imported(path, name, known) if m in known} for name, path in found.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_sees_function_local_and_relative_imports(tmp_path):
    graph = import_graph()
    assert "nnexplore.ui.pages.playground" in graph["nnexplore.ui.pages.experiments"]
    assert (
        "nnexplore.ui.charts.frames" in graph["nnexplore.ui.live.view"]
    )  # `from nnexplore.ui.charts import frames`
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    module = tmp_path / "m.py"
    module.write_text("def f():\n    import nnexplore.ui.state\n    from .. import config\n")
    assert imported(module, "nnexplore.ui.m", {"nnexplore.config"}) == {
        "nnexplore.ui.state",
        "nnexplore.config",
    }


def test_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_only_the_ui_imports_streamlit():
    found = modules()
    known = set(found)
    offenders = [
        name
        for name, path in found.items()
        if not name.startswith("nnexplore.ui")
        and any(m.split(".")[0] == "streamlit" for m in imported(path, name, known))
    ]
    assert offenders == []


def test_runs_never_imports_streamlit():
    """Background training serves every session and the command line: no streamlit, even indirectly."""
    found = modules()
    runs = {name for name in found if name.startswith("nnexplore.runs")}
    assert {"nnexplore.runs.manager", "nnexplore.runs.process", "nnexplore.runs.child"} <= runs
    code = "import sys, nnexplore.runs, nnexplore.runs.child; print('streamlit' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"


def test_no_module_over_500_lines():
    too_long = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and rel not in LONG_MODULES:
            too_long[rel] = lines
    assert too_long == {}


def test_no_class_over_250_lines():
    too_long = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                too_long[f"{rel}:{node.name}"] = node.end_lineno - node.lineno + 1
    assert too_long == {}


def test_the_product_never_imports_the_developer_tools():
    """devtools/ (benchmarks, load test, loopback servers) and its Playwright stay out of the package."""
    found = modules()
    known = set(found)
    offenders = {
        name: sorted(
            m for m in imported(path, name, known) if m.split(".")[0] in {"devtools", "playwright", "pytest"}
        )
        for name, path in found.items()
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_architecture_map_names_every_module_and_no_module_that_is_gone():
    """docs/architecture.md's map is how a newcomer finds a module: it must match the tree."""
    import re

    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    mapped = set(re.findall(r"`(nnexplore/[\w/]+\.py)`", doc))
    present = {p.relative_to(PACKAGE.parent).as_posix() for p in PACKAGE.rglob("*.py")}
    assert present - mapped == set(), "modules missing from docs/architecture.md"
    assert mapped - present == set(), "docs/architecture.md names modules that do not exist"


def test_every_document_the_code_cites_is_in_the_repository():
    """A docstring or the README that sends the reader to a file must find it."""
    import re

    root = PACKAGE.parent
    texts = [p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")]
    texts += [
        (root / "README.md").read_text(encoding="utf-8"),
        *(p.read_text() for p in root.glob("docs/*.md")),
    ]
    cited = {m for text in texts for m in re.findall(r"\b((?:docs/)?[\w-]+\.md)\b", text)}
    missing = {name for name in cited if not (root / name).exists() and not (root / "docs" / name).exists()}
    assert missing == set()


MAX_FUNCTION_LINES = 100


def test_no_function_over_100_lines():
    """A function a newcomer can read on one screen: the training loop is 88 lines, top to bottom."""
    too_long = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long[f"{rel}:{node.name}"] = lines
    assert too_long == {}
