"""The public API as data: for each public name of `instruments` and `psychometrics`,
its kind and, for callables, its parameters (name, kind, whether it has a default).
Shared by tests/test_public_api.py and scripts/pin_public_api.py."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

PACKAGES = ("instruments", "psychometrics")


def _parameters(obj: Any) -> list[dict[str, Any]] | None:
    target = obj.__init__ if inspect.isclass(obj) else obj
    if not callable(target):
        return None
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    params = [p for p in sig.parameters.values() if p.name != "self"]
    return [{"name": p.name, "kind": p.kind.name,
             "default": p.default is not inspect.Parameter.empty} for p in params]


def public_api() -> dict[str, dict[str, Any]]:
    api: dict[str, dict[str, Any]] = {}
    for pkg_name in PACKAGES:
        pkg = importlib.import_module(pkg_name)
        for name in sorted(pkg.__all__):
            obj = getattr(pkg, name)
            kind = ("class" if inspect.isclass(obj) else "function" if callable(obj)
                    else "constant")
            api[f"{pkg_name}.{name}"] = {"kind": kind, "parameters": _parameters(obj)}
    return api


def breaks(old: dict[str, Any], new: dict[str, Any] | None) -> list[str]:
    """What in ``new`` breaks a caller written against ``old`` (empty when compatible):
    a parameter removed or renamed, a parameter that lost its default, a new parameter
    without a default, a positional parameter that became keyword-only."""
    if new is None:
        return ["the name is gone"]
    if old["parameters"] is None or new["parameters"] is None:
        return [] if old["kind"] == new["kind"] else [f"{old['kind']} became {new['kind']}"]
    now = {p["name"]: p for p in new["parameters"]}
    takes_kwargs = any(p["kind"] == "VAR_KEYWORD" for p in new["parameters"])
    problems = []
    for i, p in enumerate(old["parameters"]):
        q = now.get(p["name"])
        if q is None:
            if not (takes_kwargs and p["kind"] == "KEYWORD_ONLY"):
                problems.append(f"parameter {p['name']!r} is gone")
            continue
        if p["default"] and not q["default"]:
            problems.append(f"parameter {p['name']!r} lost its default")
        positional = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")
        if p["kind"] in positional and q["kind"] not in positional:
            problems.append(f"parameter {p['name']!r} is no longer positional")
        if p["kind"] in positional and q["kind"] in positional:
            j = [r["name"] for r in new["parameters"]].index(p["name"])
            if j != i:
                problems.append(f"parameter {p['name']!r} moved from position {i} to {j}")
    known = {p["name"] for p in old["parameters"]}
    for q in new["parameters"]:
        if q["name"] not in known and not q["default"] and q["kind"] not in (
                "VAR_POSITIONAL", "VAR_KEYWORD"):
            problems.append(f"new parameter {q['name']!r} has no default")
    return problems
