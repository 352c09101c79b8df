"""Loading the declarative item banks and instrument files.

Bundled files live in the ``item_banks`` package (shipped inside the wheel):
``<bank>.yaml`` for an item bank and ``<name>.instrument.yaml`` for an instrument.
Every file is validated against :mod:`instruments._schema` when loaded; an error
names the file, the item (or subscale, scale) and the field.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from instruments._schema import BankSpec, InstrumentSpec
from instruments.errors import ItemBankError

_INSTRUMENT_SUFFIX = ".instrument.yaml"
_M = TypeVar("_M", bound=BaseModel)


def _bundled_dir() -> Path:
    return Path(str(resources.files("item_banks")))


def bank_ids() -> list[str]:
    """Ids of the bundled item banks, sorted."""
    return sorted(
        p.name.removesuffix(".yaml")
        for p in _bundled_dir().glob("*.yaml")
        if not p.name.endswith(_INSTRUMENT_SUFFIX)
    )


def instrument_ids() -> list[str]:
    """Names of the bundled instruments, sorted."""
    return sorted(
        p.name.removesuffix(_INSTRUMENT_SUFFIX)
        for p in _bundled_dir().glob("*" + _INSTRUMENT_SUFFIX)
    )


def load_bank(bank: str | Path) -> BankSpec:
    """Load and validate an item bank, by bundled id or by path.

    Raises
    ------
    ItemBankError
        The bank is unknown, cannot be parsed, or breaks the schema; the message
        names the file, the item and the field.
    """
    path = Path(bank)
    if not path.suffix:
        path = _bundled_dir() / f"{bank}.yaml"
        if not path.is_file():
            raise ItemBankError(
                f"There is no bundled item bank '{bank}'. Bundled banks: "
                f"{', '.join(bank_ids())}."
            )
    return parse_file(path, BankSpec)


def read_yaml(path: Path) -> Any:
    """Read a YAML file, turning read and syntax errors into ItemBankError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ItemBankError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ItemBankError(f"{path}: not valid YAML{where}: {problem}.") from None


def parse_file(path: Path, model: type[_M]) -> _M:
    """Read ``path`` and validate it as ``model``; errors name file, item and field."""
    data = read_yaml(path)
    return parse_data(data, model, source=str(path))


def parse_data(data: Any, model: type[_M], source: str) -> _M:
    """Validate already-parsed data as ``model``; ``source`` names it in errors."""
    if not isinstance(data, dict):
        raise ItemBankError(
            f"{source}: expected a mapping of keys (id, version, ...) at the top, "
            f"got {type(data).__name__}."
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(err, data) for err in exc.errors()]
        raise ItemBankError(
            f"{source}: {len(lines)} problem(s) in the {_kind(model)}:\n  - "
            + "\n  - ".join(lines)
        ) from None


def _kind(model: type[BaseModel]) -> str:
    return "item bank" if model is BankSpec else "instrument"


def _describe(err: dict[str, Any], data: dict[str, Any]) -> str:
    """One line per schema error: which item/subscale/scale, which field, what."""
    loc = list(err.get("loc", ()))
    where = []
    # Name list entries by their id rather than by position.
    if len(loc) >= 2 and loc[0] in ("items", "subscales", "composites") and isinstance(loc[1], int):
        entries = data.get(loc[0]) or []
        entry = entries[loc[1]] if loc[1] < len(entries) else None
        ident = entry.get("id") if isinstance(entry, dict) else None
        label = {"items": "item", "subscales": "subscale", "composites": "composite"}[loc[0]]
        where.append(f"{label} {ident}" if ident else f"{label} #{loc[1] + 1}")
        loc = loc[2:]
    elif len(loc) >= 2 and loc[0] == "scales":
        where.append(f"scale {loc[1]}")
        loc = loc[2:]
    field = ".".join(str(p) for p in loc)
    if field:
        where.append(f"field '{field}'")
    msg = err.get("msg", "invalid")
    if err.get("type") == "extra_forbidden":
        msg = "unknown key (misspelled?)"
    elif err.get("type") == "missing":
        msg = "required but missing"
    elif "input" in err and err.get("type") not in ("value_error",):
        msg = f"{msg}; got {err['input']!r}"
    msg = msg.removeprefix("Value error, ")
    return (", ".join(where) + ": " if where else "") + msg
