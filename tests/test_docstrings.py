"""Every public name has a numpydoc docstring, so that the rule of issue 19 holds as the
API grows: a summary; Parameters naming exactly the signature's parameters; Returns for
functions and methods; Examples that run (``--doctest-modules`` runs them); for the
statistical functions also References and the line "In R: ..." naming the R call.

The public names are the ``__all__`` of ``instruments`` and ``psychometrics``, and the
methods users call on the result classes (``METHODS``); a method's example may stand in
its class's Examples (which then call it)."""

from __future__ import annotations

import dataclasses
import inspect
import re

import pytest

import instruments
import psychometrics

#: Functions whose statistic R also computes: their docstrings cite their sources and
#: name the R call.
STATISTICAL = {
    "score", "cronbach_alpha", "omega_total", "ordinal_reliability", "scale_reliability",
    "omega_hierarchical", "efa", "fit_cfa", "longitudinal_invariance", "invariance_verdicts",
    "observed_change", "validate",
}

#: The methods users call on the public classes.
METHODS = {
    "Instrument": ["load", "from_file", "from_dict", "scale", "to_dict"],
    "Scale": ["to_dict"],
    "Composite": ["to_dict"],
    "Responses": ["item_frame"],
    "Scores": ["to_frame", "to_dict", "summary"],
    "ValidationResult": ["write", "report_html", "to_dict"],
    "CFAResult": ["to_dict", "summary"],
    "EFAResult": ["to_dict"],
    "InvarianceResult": ["to_frame", "to_dict", "failed_step"],
    "ChangeResult": ["to_dict"],
    "OmegaHierarchical": ["to_dict"],
}

_HEADER = re.compile(r"^(\w[\w ]*)\n-{3,}$", re.M)


def _public() -> list[tuple[str, object]]:
    out = []
    for package in (instruments, psychometrics):
        for name in package.__all__:
            obj = getattr(package, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                out.append((f"{package.__name__}.{name}", obj))
    return out


def sections(doc: str | None) -> dict[str, str]:
    """A numpydoc docstring as {"Summary": ..., "Parameters": ..., ...}."""
    text = inspect.cleandoc(doc or "")
    marks = list(_HEADER.finditer(text))
    out = {"Summary": text[: marks[0].start() if marks else len(text)].strip()}
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        out[m.group(1)] = text[m.end():end].strip("\n")
    return out


def documented_names(block: str) -> set[str]:
    """The names a Parameters/Attributes section documents (``a, b : type`` lines)."""
    names = set()
    for line in block.splitlines():
        if line and not line[0].isspace():
            names.update(n.strip() for n in line.split(" : ")[0].split(","))
    return names


def signature_names(func) -> set[str]:
    names = set()
    for p in inspect.signature(func).parameters.values():
        if p.name in ("self", "cls"):
            continue
        names.add({p.VAR_KEYWORD: "**", p.VAR_POSITIONAL: "*"}.get(p.kind, "") + p.name)
    return names


def _check_callable(qualname: str, func, class_examples: str = "") -> list[str]:
    s = sections(func.__doc__)
    problems = []
    if not s["Summary"]:
        problems.append("no summary line")
    params = signature_names(func)
    if params:
        if "Parameters" not in s:
            problems.append("no Parameters section")
        else:
            documented = documented_names(s["Parameters"])
            if params - documented:
                problems.append(f"parameters not documented: {sorted(params - documented)}")
            if documented - params:
                problems.append(f"documented but not parameters: {sorted(documented - params)}")
    if "Returns" not in s:
        problems.append("no Returns section")
    name = func.__name__
    if ">>>" not in s.get("Examples", "") and f".{name}(" not in class_examples:
        problems.append("no Examples section with a runnable example")
    if name in STATISTICAL:
        if "References" not in s:
            problems.append("no References section")
        if "In R:" not in (func.__doc__ or ""):
            problems.append('no "In R: ..." line naming the R call')
    return [f"{qualname}: {p}" for p in problems]


@pytest.mark.parametrize("qualname,obj", _public(), ids=[q for q, _ in _public()])
def test_public_name_has_a_numpydoc_docstring(qualname, obj):
    if inspect.isfunction(obj):
        problems = _check_callable(qualname, obj)
    else:
        s = sections(obj.__doc__)
        problems = []
        if not s["Summary"]:
            problems.append("no summary line")
        if ">>>" not in s.get("Examples", ""):
            problems.append("no Examples section with a runnable example")
        if dataclasses.is_dataclass(obj):
            fields = {f.name for f in dataclasses.fields(obj)}
            missing = fields - documented_names(s.get("Attributes", ""))
            if missing:
                problems.append(f"fields not in Attributes: {sorted(missing)}")
        problems = [f"{qualname}: {p}" for p in problems]
        examples = s.get("Examples", "")
        for method in METHODS.get(obj.__name__, []):
            problems += _check_callable(f"{qualname}.{method}", getattr(obj, method), examples)
    assert not problems, "\n".join(problems)


def test_every_class_with_methods_is_public():
    # METHODS names only public classes (a renamed class must not silently drop out).
    names = {q.rsplit(".", 1)[1] for q, _ in _public()}
    assert set(METHODS) <= names


def test_the_parser_finds_missing_sections():
    def f(a, b=1):
        """Summary.

        Parameters
        ----------
        a : int
        """

    assert _check_callable("f", f) == [
        "f: parameters not documented: ['b']", "f: no Returns section",
        "f: no Examples section with a runnable example"]
