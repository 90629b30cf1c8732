"""Stage layering of the ``adfd`` package, checked on the source with ``ast``.

Stages run in the pipeline's order and a stage may import only itself and earlier stages:

    config -> datasets -> preprocess -> synthesis -> train -> evaluate -> report

Utilities sit below every stage and import no stage: ``adfd.errors``, ``adfd.logs``,
``adfd.provenance``, ``adfd.registry`` and ``adfd.registries``. ``adfd.demo`` builds demo
datasets: it may use utilities, config, datasets and preprocess, and only the command line may
import it (no stage depends on demo data). ``adfd.cli``, ``adfd.estimate`` (the cost of a
plan, from config, datasets and finished runs), ``adfd.status`` (``adfd status``),
``workflow/scripts`` and ``bench/`` sit on top and may import anything. Imports inside
functions count like top-level ones.

Modules inside one package must not import each other in a circle either.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "adfd"
STAGES = ("config", "datasets", "preprocess", "synthesis", "train", "evaluate", "report")
UTILITIES = ("errors", "logs", "provenance", "registry", "registries")
TOP = ("cli", "estimate", "status")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every ``adfd`` import in ``path``; ``from X import Y`` names ``X.Y``
    when ``Y`` is a module, else ``X``. Relative imports are resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return parse_imports(path.read_text(encoding="utf-8"), package)


def parse_imports(source: str, package: str) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.append((node.lineno, sub if sub in MODULES else base))
    return [(line, mod) for line, mod in out if mod == "adfd" or mod.startswith("adfd.")]


def unit(module: str) -> str:
    """The layering unit of a module: ``adfd.preprocess.shards`` -> ``preprocess``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "adfd"


def allowed(importer: str) -> set[str]:
    if importer in TOP:
        return {*STAGES, *UTILITIES, *TOP, "demo"}
    if importer in UTILITIES:
        return set(UTILITIES)
    if importer == "demo":
        return {*UTILITIES, "config", "datasets", "preprocess", "demo"}
    if importer in STAGES:
        return {*UTILITIES, *STAGES[: STAGES.index(importer) + 1]}
    raise AssertionError(f"adfd.{importer} has no place in the layering; add it to this test")


def layering_violations() -> list[str]:
    found = []
    for name, path in MODULES.items():
        if name != "adfd":
            found += module_violations(name, str(path.relative_to(ROOT)), imports(path))
    return found


def module_violations(name: str, where: str, imported: list[tuple[int, str]]) -> list[str]:
    """The imports of module ``name`` (file ``where``) that its layer does not allow."""
    src = unit(name)
    ok = allowed(src)
    found = []
    for line, mod in imported:
        dst = unit(mod)
        if dst == "adfd":
            found.append(f"{where}:{line} imports the adfd package root")
        elif dst not in ok:
            found.append(f"{where}:{line} ({src}) imports {mod} ({dst})")
    return found


def package_cycles(package: str) -> list[list[str]]:
    """Import cycles among the modules of ``package`` (its ``__init__`` excluded: it
    re-exports its modules, and a module importing its own package is reported apart)."""
    members = {n for n in MODULES if n.startswith(package + ".") and n.count(".") == 2}
    return cycles_of(
        {n: sorted({m for _, m in imports(MODULES[n]) if m in members}) for n in members}
    )


def cycles_of(graph: dict[str, list[str]]) -> list[list[str]]:
    """Cycles found by a depth-first search of ``graph`` (node -> nodes it imports)."""
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return cycles


def test_every_module_has_a_layer():
    for name in MODULES:
        if name != "adfd":
            allowed(unit(name))


def test_stages_import_only_earlier_stages():
    violations = layering_violations()
    assert not violations, "layering violations:\n" + "\n".join(violations)


@pytest.mark.parametrize("package", [f"adfd.{s}" for s in (*STAGES, "demo")])
def test_no_import_cycle_inside_package(package):
    own = [
        f"{MODULES[n].relative_to(ROOT)}:{line}"
        for n in MODULES
        if n.startswith(package + ".")
        for line, mod in imports(MODULES[n])
        if mod == package
    ]
    assert not own, f"modules import their own package {package} (use the module): {own}"
    cycles = package_cycles(package)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_function_level_imports_and_cycles():
    """The checker itself, on a made-up module: late and relative imports are found, and a
    two-module circle is a cycle while a chain is not."""
    source = (
        "import numpy\n"
        "from adfd.config import load\n"
        "def f():\n"
        "    from adfd.train.loop import run\n"
        "    from .shards import load_shards\n"
        "    import adfd.report.tables\n"
    )
    found = [mod for _, mod in parse_imports(source, "adfd.preprocess")]
    assert found == [
        "adfd.config.load",
        "adfd.train.loop",
        "adfd.preprocess.shards",
        "adfd.report.tables",
    ]
    assert cycles_of({"a": ["b"], "b": ["c"], "c": []}) == []
    assert cycles_of({"a": ["b"], "b": ["a"], "c": ["a"]}) == [["a", "b", "a"]]


def test_the_checker_reports_an_upward_import():
    """A planted module of the datasets stage that imports preprocessing and (inside a
    function) training is reported twice; its import of config is not."""
    source = (
        "from adfd.config.load import load_config\n"
        "from adfd.preprocess.video import read_frames\n"
        "def f():\n"
        "    from adfd.train.loop import Trainer\n"
    )
    found = parse_imports(source, "adfd.datasets")
    assert module_violations("adfd.datasets.planted", "adfd/datasets/planted.py", found) == [
        "adfd/datasets/planted.py:2 (datasets) imports adfd.preprocess.video (preprocess)",
        "adfd/datasets/planted.py:4 (datasets) imports adfd.train.loop (train)",
    ]


@pytest.mark.parametrize("lower, upper", list(itertools.pairwise(STAGES)))
def test_each_stage_may_not_import_the_next(lower, upper):
    """Every neighbouring pair of stages, in pipeline order: the import is allowed one way."""
    up = module_violations(f"adfd.{lower}.x", "x.py", [(1, f"adfd.{upper}.y")])
    down = module_violations(f"adfd.{upper}.x", "x.py", [(1, f"adfd.{lower}.y")])
    assert up == [f"x.py:1 ({lower}) imports adfd.{upper}.y ({upper})"] and down == []


def reachable(start: str) -> set[str]:
    """Every ``adfd`` module ``start`` can import, directly or through others (importing a
    module runs its packages' ``__init__`` too)."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in MODULES:
            continue
        seen.add(name)
        todo += [m for _, m in imports(MODULES[name])]
        todo.append(name.rpartition(".")[0])
    return seen


def test_scoring_never_loads_the_synthesis():
    """An evaluation job imports the model and the crops, not the pseudo-fake synthesis
    (albumentations and its imports: about half a second per job)."""
    scoring = reachable("adfd.evaluate.infer")
    assert "adfd.train.model" in scoring
    assert not {m for m in scoring if m.startswith("adfd.synthesis")}, sorted(scoring)
