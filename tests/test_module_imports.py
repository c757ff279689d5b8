"""The product's modules stand on their own: each imports first without a cycle, and none
reaches into the tools or the tests beside it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap

import pytest

from tests.support.chain import REPO

PRODUCT = REPO / "orchestration"
OUTSIDE_THE_PRODUCT = ("tools", "tests")


def product_modules() -> list[str]:
    modules = []
    for path in sorted(PRODUCT.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def imported_names(path) -> set[str]:
    """Every module an import statement in the file names, at any depth (lazy imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


# Each module is imported first, with every module of its package forgotten before it: a
# cycle fails whichever of its modules comes first, so every order is tried.
ISOLATED_IMPORTS = textwrap.dedent(
    """
    import importlib, json, sys, traceback
    results = {}
    package, modules = sys.argv[1], json.loads(sys.argv[2])
    for module in modules:
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]
        try:
            importlib.import_module(module)
            error = None
        except Exception:
            error = traceback.format_exc(limit=-3)
        outside = sorted(n for n in sys.modules if n.split(".")[0] in ("tools", "tests"))
        results[module] = {"error": error, "outside": outside}
    print(json.dumps(results))
    """
)


def test_the_product_has_modules_to_check():
    modules = product_modules()
    assert "orchestration.definitions" in modules and "orchestration.ingest.loader" in modules


@pytest.mark.parametrize("path", sorted(PRODUCT.rglob("*.py")), ids=lambda p: str(p.relative_to(REPO)))
def test_no_product_module_imports_the_tools_or_the_tests(path):
    reaching_out = {name for name in imported_names(path) if name.split(".")[0] in OUTSIDE_THE_PRODUCT}
    assert not reaching_out, f"{path.relative_to(REPO)} imports {sorted(reaching_out)}"


def test_every_product_module_imports_on_its_own_without_a_cycle():
    modules = product_modules()
    done = subprocess.run(
        [sys.executable, "-c", ISOLATED_IMPORTS, "orchestration", json.dumps(modules)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.splitlines()[-1])
    assert sorted(results) == modules
    failed = {module: result["error"] for module, result in results.items() if result["error"]}
    assert not failed, "\n".join(f"{module}:\n{error}" for module, error in failed.items())
    leaked = {module: result["outside"] for module, result in results.items() if result["outside"]}
    assert not leaked, f"importing these loads the tools or the tests: {leaked}"


def test_an_import_cycle_is_caught(tmp_path):
    """The check works: two modules importing each other's names fail whichever comes first."""
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclic.b import B\nA = 1\n")
    (package / "b.py").write_text("from cyclic.a import A\nB = 2\n")
    done = subprocess.run(
        [sys.executable, "-c", ISOLATED_IMPORTS, "cyclic", json.dumps(["cyclic.a", "cyclic.b"])],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    results = json.loads(done.stdout.splitlines()[-1])
    assert all("ImportError" in results[module]["error"] for module in ("cyclic.a", "cyclic.b")), results
