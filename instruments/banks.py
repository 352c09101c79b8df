"""Loading the declarative item banks and instrument files.

Bundled files live in the ``item_banks`` package (shipped inside the wheel):
``<bank>.yaml`` for an item bank and ``<name>.instrument.yaml`` for an instrument.
Every file is validated against :mod:`instruments._schema` when loaded; an error
names the file, the item (or subscale, scale) and the field.
"""

from __future__ import annotations

import copy
import functools
import reprlib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from instruments._schema import BankSpec
from instruments.errors import ItemBankError

_INSTRUMENT_SUFFIX = ".instrument.yaml"
_M = TypeVar("_M", bound=BaseModel)


def _bundled_dir() -> Path:
    return Path(str(resources.files("item_banks")))


def bank_ids() -> list[str]:
    """Ids of the bundled item banks, sorted.

    Returns
    -------
    list of str
        One id per ``<bank>.yaml`` file in the ``item_banks`` package.

    Examples
    --------
    >>> from instruments import bank_ids
    >>> bank_ids()
    ['bpn', 'onion', 'tse']
    """
    return sorted(
        p.name.removesuffix(".yaml")
        for p in _bundled_dir().glob("*.yaml")
        if not p.name.endswith(_INSTRUMENT_SUFFIX)
    )


def instrument_ids() -> list[str]:
    """Names of the bundled instruments, sorted.

    Returns
    -------
    list of str
        One name per ``<name>.instrument.yaml`` file in the ``item_banks`` package;
        each can be passed to :meth:`Instrument.load`.

    Examples
    --------
    >>> from instruments import instrument_ids
    >>> instrument_ids()
    ['bpn', 'kvb', 'onion', 'tse']
    """
    return sorted(
        p.name.removesuffix(_INSTRUMENT_SUFFIX)
        for p in _bundled_dir().glob("*" + _INSTRUMENT_SUFFIX)
    )


def load_bank(bank: str | Path) -> BankSpec:
    """Load and validate an item bank, by bundled id or by path.

    The file is read with a strict YAML loader (duplicate keys, alias bombs and
    files above ``MAX_YAML_BYTES`` are refused) and validated against the bank
    schema (unknown keys are errors, so a misspelled key is not dropped).

    Parameters
    ----------
    bank : str or Path
        A bundled bank id (see :func:`bank_ids`), or the path of a bank YAML file
        (anything with a suffix is taken as a path).

    Returns
    -------
    BankSpec
        The validated bank: ``id``, ``response_scale``, ``subscales``, ``items``
        (each with ``id``, ``subscale``, ``keying`` and texts), ``composites``,
        ``general_factors`` and ``provenance``.

    Raises
    ------
    ItemBankError
        The bank is unknown, cannot be parsed, or breaks the schema; the message
        names the file, the item and the field.

    Examples
    --------
    >>> from instruments import load_bank
    >>> tse = load_bank("tse")
    >>> tse.id, len(tse.items), [s.id for s in tse.subscales]
    ('tse', 12, ['tse_engagement', 'tse_instruction', 'tse_management'])
    >>> tse.response_scale.min, tse.response_scale.max
    (1, 7)
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


#: The most YAML aliases (``*name``) a file may use: a few are handy, thousands are
#: an alias bomb ("billion laughs") whose expansion would exhaust memory.
MAX_ALIASES = 50
#: The largest instrument or bank file read (bytes), and the deepest nesting.
MAX_YAML_BYTES = 2_000_000
MAX_DEPTH = 40


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and alias bombs, and keeps ``version``
    as written (``1.10`` stays ``"1.10"``, not the float 1.1)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (*name) at line "
                                     f"{mark.line + 1}: refused (an alias bomb?)")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.YAMLError(f"nested more than {MAX_DEPTH} levels deep at line {mark.line + 1}")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):  # PyYAML's own error for a non-mapping
            return dict(super().construct_mapping(node, deep=deep))  # type: ignore[arg-type]
        self.flatten_mapping(node)
        seen: dict[Any, int] = {}
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a key that is a list or mapping", key_node.start_mark) from None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}' (first at line {seen[key] + 1}); the "
                    "later value would silently win", key_node.start_mark)
            seen[key] = key_node.start_mark.line
            if key == "version" and isinstance(value_node, yaml.ScalarNode):
                out[key] = value_node.value  # as written: 1.10 is not 1.1
            else:
                out[key] = self.construct_object(value_node, deep=deep)
        return out


def _construct_map(loader: _StrictLoader, node: yaml.Node) -> dict[Any, Any]:
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def read_yaml(path: Path) -> Any:
    """Read a YAML file, turning read and syntax errors into ItemBankError.

    Duplicate keys, more than :data:`MAX_ALIASES` aliases, nesting deeper than
    :data:`MAX_DEPTH` and files above :data:`MAX_YAML_BYTES` are errors.
    """
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ItemBankError(f"{path}: {size} bytes; an instrument or bank file may have at "
                                f"most {MAX_YAML_BYTES}.")
        raw = path.read_bytes()
    except OSError as exc:
        raise ItemBankError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ItemBankError(f"{path}: not UTF-8: byte 0x{raw[exc.start]:02x} at line {line}. "
                            "Save the file as UTF-8.") from None
    try:
        if len(text) > _CACHED_CHARS:
            return yaml.load(text, Loader=_StrictLoader)
        return copy.deepcopy(_parsed(text))  # a copy: callers may change what they get
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ItemBankError(f"{path}: not valid YAML{where}: {_short(problem)}.") from None
    except RecursionError:
        raise ItemBankError(f"{path}: nested too deeply.") from None


#: Texts up to this many characters are cached (32 of them): the bundled banks have
#: 7-15 thousand; a large generated file is parsed each time rather than kept.
_CACHED_CHARS = 200_000


@functools.lru_cache(maxsize=32)
def _parsed(text: str) -> Any:
    """The parsed content of a YAML text. Cached by content: a run, a notebook or a
    test session loads the same banks again and again, and the pure-Python strict
    loader takes about 30 ms per bank (a copy takes 0.3 ms). Errors are not cached."""
    return yaml.load(text, Loader=_StrictLoader)


def _short(text: object, limit: int = 200) -> str:
    """At most ``limit`` characters of ``text`` (a repr of user data can be huge)."""
    s = str(text)
    return s if len(s) <= limit else s[:limit - 3] + "..."


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
        errors = exc.errors(include_url=False)
        lines = [_describe(err, data) for err in errors[:20]]
        more = f"\n  ... and {len(errors) - 20} more." if len(errors) > 20 else ""
        raise ItemBankError(
            f"{source}: {len(errors)} problem(s) in the {_kind(model)}:\n  - "
            + "\n  - ".join(lines) + more
        ) from None


def _kind(model: type[BaseModel]) -> str:
    return "item bank" if model is BankSpec else "instrument"


def _describe(err: Mapping[str, Any], data: dict[str, Any]) -> str:
    """One line per schema error: which item/subscale/scale, which field, what."""
    loc = list(err.get("loc", ()))
    where = []
    # Name list entries by their id rather than by position.
    if len(loc) >= 2 and loc[0] in ("items", "subscales", "composites") and isinstance(loc[1], int):
        entries = data.get(loc[0]) or []
        entry = entries[loc[1]] if loc[1] < len(entries) else None
        ident = entry.get("id") if isinstance(entry, dict) else None
        label = {"items": "item", "subscales": "subscale", "composites": "composite"}[loc[0]]
        where.append(f"{label} {_short(ident, 80)}" if ident else f"{label} #{loc[1] + 1}")
        loc = loc[2:]
    elif len(loc) >= 2 and loc[0] == "scales":
        where.append(f"scale {_short(loc[1], 80)}")
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
        msg = f"{msg}; got {_short(reprlib.repr(err['input']), 120)}"
    msg = _short(msg.removeprefix("Value error, "), 300)
    return (", ".join(where) + ": " if where else "") + msg
