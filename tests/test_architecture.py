"""The layout's rules, read from the source (pure layer, nothing is imported or run).

docs/ARCHITECTURE.md states them: `posecheck/core/` is plain numpy and dataclasses (no camera,
model, video, UI or plotting library at any level, function-local imports included), core
depends on nothing outside core but the spec model it reads (`posecheck/specs/model.py`, held
to the same rules), no module imports another in a circle, and no module grows
past about 400 lines.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "posecheck"
FORBIDDEN_IN_CORE = {"cv2", "mediapipe", "av", "streamlit", "streamlit_webrtc", "matplotlib"}
MAX_LINES = 400  # a module longer than this is split (the "about 400")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every module `path` imports, at any depth of the file (function-local imports too).

    `from posecheck.x import y` counts as importing `posecheck.x.y` when that is a module,
    else `posecheck.x`."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.add(sub if sub in known else base)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {m: {i for i in imports_of(p, known) if i in known and i != m} for m, p in mods.items()}


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    """A cycle of `g` as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(g[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (c := visit(n)):
                return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(g):
        if m not in state and (c := visit(m)):
            return c
    return None


SPEC_MODEL = "posecheck.specs.model"
CORE = sorted(m for m in modules() if m.startswith("posecheck.core")) + [SPEC_MODEL]


def is_pure(mod: str) -> bool:
    return mod.startswith("posecheck.core") or mod in (SPEC_MODEL, "posecheck", "posecheck.specs")


@pytest.mark.parametrize("mod", CORE)
def test_core_imports_no_camera_model_ui_or_plotting_library(mod):
    known = set(modules())
    roots = {i.split(".")[0] for i in imports_of(modules()[mod], known)}
    assert not roots & FORBIDDEN_IN_CORE, f"{mod} imports {sorted(roots & FORBIDDEN_IN_CORE)}"


@pytest.mark.parametrize("mod", CORE)
def test_core_depends_only_on_core(mod):
    outside = sorted(i for i in graph()[mod] if not is_pure(i))
    assert not outside, f"{mod} imports {outside} from outside posecheck/core/"


def test_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_relative_and_function_local_imports_are_seen(tmp_path, monkeypatch):
    pkg = tmp_path / "posecheck"
    (pkg / "core").mkdir(parents=True)
    for f in ("__init__.py", "core/__init__.py", "core/a.py"):
        (pkg / f).write_text("")
    (pkg / "core" / "b.py").write_text("from . import a\ndef f():\n    import cv2\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", pkg)
    assert imports_of(pkg / "core" / "b.py", set(modules())) == {"posecheck.core.a", "cv2"}


@pytest.mark.parametrize("mod", sorted(modules()))
def test_no_module_is_over_the_line_limit(mod):
    n = len(modules()[mod].read_text().splitlines())
    assert n <= MAX_LINES, f"{mod} has {n} lines (limit {MAX_LINES}): split it by concept"


def test_tests_mirror_the_package():
    """tests/<folder>/ exists only for a package posecheck/<folder>/, and holds only test files
    (their shared helpers live in tests/ itself)."""
    tests = Path(__file__).resolve().parent
    for folder in sorted(p for p in tests.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        assert (PACKAGE / folder.name / "__init__.py").is_file(), f"tests/{folder.name}/ mirrors no package"
        stray = [f.name for f in folder.glob("*.py") if not f.name.startswith("test_")]
        assert not stray, f"tests/{folder.name}/ holds helpers {stray}: put them in tests/"


def test_architecture_page_names_every_module():
    """docs/ARCHITECTURE.md is the map: a module missing from it is a module nobody finds."""
    page = (PACKAGE.parent / "docs" / "ARCHITECTURE.md").read_text()
    missing = [str(p.relative_to(PACKAGE)) for p in sorted(PACKAGE.rglob("*.py"))
               if p.name != "__init__.py" and f"`{p.relative_to(PACKAGE)}" not in page
               and f"{p.relative_to(PACKAGE)}`" not in page]
    assert not missing, f"docs/ARCHITECTURE.md does not name {missing}"
