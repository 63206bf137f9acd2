"""The flow engine and the exchange plug into each other through interfaces, never by importing each other.

`flows/ports.py` says what the engine's automatic steps need from the exchange and
`flows/exchange/ports.py` what the exchange needs from the engine; `web/services.py` wires them.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ["flows/actions.py", "flows/task_actions.py", "flows/instance_actions.py", "flows/auto_runner.py",
          "flows/flow_base.py", "flows/auto_steps.py", "flows/engine.py", "flows/commit.py"]
ENGINE_MODULES = {path.removesuffix(".py").replace("/", ".") for path in ENGINE}


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_engine_does_not_import_the_exchange() -> None:
    crossing = {path: sorted(module for module in imports_of(ROOT / path) if module.startswith("flows.exchange"))
                for path in ENGINE}
    assert {path: modules for path, modules in crossing.items() if modules} == {}


def test_the_exchange_does_not_import_the_engine() -> None:
    exchange = sorted((ROOT / "flows" / "exchange").glob("*.py"))
    assert len(exchange) > 5  # the scan sees the package
    crossing = {path.name: sorted(imports_of(path) & ENGINE_MODULES) for path in exchange}
    assert {name: modules for name, modules in crossing.items() if modules} == {}
