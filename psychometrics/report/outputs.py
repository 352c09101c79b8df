"""Writing a validation's files into one folder, safely and all at once.

- ``results.json``: the contract (full precision; NaN and infinities are ``null``);
- ``scores.csv``: one row per scored input row; for each consecutive pair of waves
  the later wave's row also carries ``<scale>_rci`` and ``<scale>_rci_class``;
- ``change.csv``: per person, scale and pair of waves: difference, RCI, class;
- ``multi_scale.csv``: per person, pair of waves and bank: how many and which scales
  improved reliably;
- ``problems.csv`` and ``unscored.csv`` when there are any;
- ``models/*.lav``: the lavaan syntax of every fitted model, to refit in R;
- ``report.html`` (self-contained) and ``tables/*.csv``, its tables.

Safety rules (each tested in ``tests/test_adversarial.py``):

- The folder is written atomically: every file goes into a fresh temporary folder
  beside ``--out``, which replaces ``--out`` only when it is complete. A failed or
  interrupted run leaves the earlier result as it was (or nothing); files of an
  earlier run are never mixed with the new ones.
- ``--out`` is checked before the analysis starts (:func:`check_out_dir`): it must
  not be a file or a symbolic link, must not be (or contain) an input file, and must
  be new, empty, or a folder that binnenuit wrote before (it holds the marker file
  ``.binnenuit-output``), so that a user's own files are never replaced.
- File names made from labels (wave labels, scale names) are slugs of
  ``[A-Za-z0-9_.-]``, at most 60 characters, with a short hash of the label when the
  slug differs from it (:func:`safe_name`): nothing can point outside the folder and
  two labels cannot share a file.
- CSV cells that a spreadsheet would run as a formula (text starting with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return, other than a plain number) are
  written with a leading ``'`` (:func:`neutralize_formulas`), as OWASP advises for
  CSV injection; results.json keeps the values as they are.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import numpy as np
import pandas as pd

from instruments.errors import OutputError
from psychometrics.results import to_jsonable

if TYPE_CHECKING:
    from psychometrics.invariance import Step
    from psychometrics.ordinal_invariance import (
        OrdinalStep,  # the score command writes CSV without loading the statistics
    )
    from psychometrics.pipeline import ValidationResult
    from psychometrics.report.html import Lang

#: The file that marks a folder as binnenuit's output (so it may be replaced).
MARKER = ".binnenuit-output"
#: The longest slug of a label in a file name (a hash is added when it is cut).
MAX_NAME = 60
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_FORMULA_START = re.compile(r"[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def write_outputs(result: ValidationResult, out_dir: str | Path, *, lang: str = "en",
                  report: bool = True, inputs: Iterable[str | Path] = ()) -> dict[str, Path]:
    """Write every output of ``result`` into ``out_dir``, all at once; return the paths.

    ``inputs`` are the files the run read: ``out_dir`` may not be or contain them.

    Raises
    ------
    OutputError
        ``out_dir`` cannot be used (see :func:`check_out_dir`) or a write failed;
        an earlier result in ``out_dir`` is then left as it was.
    """
    from instruments.options import Flag, check_options
    from psychometrics.options import OPTIONS

    check_options("write_outputs", {"lang": lang, "report": report},
                  {"lang": OPTIONS["lang"], "report": Flag()})
    out = check_out_dir(out_dir, inputs)
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name[:40]}.", suffix=".partial", dir=parent))
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder ({exc.strerror or exc}).") from None
    try:
        os.chmod(tmp, 0o755)
        # check_options has refused any language but the report's: lang is a Lang
        written = _write_all(result, tmp, lang=cast("Lang", lang), report=report)
        (tmp / MARKER).write_text("binnenuit output folder: replaced as a whole by the next run "
                                  "into it.\n", encoding="utf-8")
        _swap(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(
            f"{out}: writing the outputs failed ({exc.strerror or exc}"
            + (f": {exc.filename}" if getattr(exc, "filename", None) else "")
            + "); an earlier result there was left as it was.") from None
    except BaseException:  # KeyboardInterrupt included: no half-written folder remains
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {k: out / p.relative_to(tmp) for k, p in written.items()}


def check_out_dir(out_dir: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """Check that ``out_dir`` can take a run's outputs; call it before the analysis.

    Refused: a file; a symbolic link; a folder that is or contains an input file; a
    non-empty folder that binnenuit did not write (no ``.binnenuit-output`` marker);
    a path below a file or in a folder that cannot be written.
    """
    out = Path(os.path.abspath(Path(out_dir).expanduser()))
    shown = str(out_dir)
    if out.is_symlink():
        raise OutputError(f"--out {shown} is a symbolic link; give a real folder (links in the "
                          "output folder are not followed).")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {shown} is a file; give a folder for the outputs.")
    real = out.resolve()
    for item in inputs:
        if item is None:
            continue
        src = Path(item).expanduser().resolve()
        if src == real or real in src.parents:
            raise OutputError(f"--out {shown} is or contains the input {item}; the run would "
                              "replace its own input. Choose another output folder.")
    if out.is_dir():
        try:
            with os.scandir(out) as it:
                entries = [e.name for e in it]
        except FileNotFoundError:  # moved away by another run just now: a new folder
            entries = []
        except OSError as exc:
            raise OutputError(f"--out {shown}: cannot be read ({exc.strerror or exc}).") from None
        if entries and MARKER not in entries:
            listed = ", ".join(sorted(entries)[:5]) + (", ..." if len(entries) > 5 else "")
            raise OutputError(
                f"--out {shown} is a folder that holds other files ({listed}) and was not "
                "written by binnenuit; its contents would be replaced. Choose a new or empty "
                "folder.")
    _check_writable_parent(out, shown)
    return out


def _check_writable_parent(out: Path, shown: str) -> None:
    """The nearest existing ancestor of ``out`` must be a folder we may write in."""
    existing = out.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"--out {shown}: {existing} is a file, so the folder cannot be made.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"--out {shown}: no permission to write in {existing}.")


def check_out_file(out_file: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """Check that ``out_file`` (``binnenuit score --out``) can be written; before the run."""
    out = Path(os.path.abspath(Path(out_file).expanduser()))
    shown = str(out_file)
    if out.is_symlink():
        raise OutputError(f"--out {shown} is a symbolic link; give a real file name.")
    if out.is_dir():
        raise OutputError(f"--out {shown} is a folder; give a file name such as scores.csv.")
    real = out.resolve()
    for item in inputs:
        if item is not None and Path(item).expanduser().resolve() == real:
            raise OutputError(f"--out {shown} is the input {item}; it would be overwritten. "
                              "Choose another file name.")
    _check_writable_parent(out, shown)
    return out


def write_files_atomic(frames: dict[Path, Any]) -> None:
    """Write each frame as CSV (formulas neutralized) beside its target, then move all
    into place; a target whose frame is None is removed (a stale file of an earlier
    run). Nothing is left half-written when a write fails.

    A frame may also be an iterator of DataFrames (written one after the other, the
    header once: a table that never is in memory whole) or a function returning a
    DataFrame or None, called when its turn comes (after the entries before it are
    written, e.g. the problems found while streaming the scores)."""
    tmps: dict[Path, Path] = {}
    done: dict[Path, Any] = {}
    try:
        for path, frame in frames.items():
            if callable(frame):
                frame = frame()
            done[path] = frame
            if frame is None:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name[:60]}.{uuid.uuid4().hex[:8]}.partial")
            tmps[path] = tmp
            if isinstance(frame, pd.DataFrame):
                write_csv(frame, tmp)
            else:
                with open(tmp, "w", encoding="utf-8", newline="") as f:
                    for k, chunk in enumerate(frame):
                        append_csv(chunk, f, header=k == 0)
        frames = done
        for path, tmp in tmps.items():
            os.replace(tmp, path)
        for path, frame in frames.items():
            if frame is None and (path.is_file() or path.is_symlink()):
                path.unlink()
    except OSError as exc:
        for tmp in tmps.values():
            tmp.unlink(missing_ok=True)
        raise OutputError(f"writing {exc.filename or 'the output'} failed "
                          f"({exc.strerror or exc}); nothing was replaced.") from None
    except BaseException:
        for tmp in tmps.values():
            tmp.unlink(missing_ok=True)
        raise


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV with formula-like cells neutralized."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        append_csv(frame, f, header=True)


def append_csv(frame: pd.DataFrame, f: TextIO, *, header: bool) -> None:
    """Write ``frame`` (formula-like cells neutralized) to the open text file ``f``,
    exactly as ``DataFrame.to_csv(index=False)`` writes it: floats at full precision
    (Python's shortest repr, ``3.0``), NaN as an empty cell. Numbers are formatted by
    Arrow, at once, where that gives the same text; else pandas writes it."""
    frame = neutralize_formulas(frame)
    text = _fast_csv(frame, header)
    if text is None:
        frame.to_csv(f, index=False, header=header)
    else:
        f.write(text)


#: Characters that make the csv module quote a cell (delimiter, quote, line ends).
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def _fast_csv(frame: pd.DataFrame, header: bool) -> str | None:
    """The CSV text of ``frame`` as pandas writes it, or None when a column is of a
    kind this does not format (then pandas writes it)."""
    if frame.shape[1] < 2 or len(frame) == 0 or not frame.columns.is_unique:
        return None
    try:
        # pyarrow ships no type information: it is Any here
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.compute as pc  # type: ignore[import-untyped]
        import pyarrow.csv as pacsv  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    columns = []
    for k in range(frame.shape[1]):
        col = frame.iloc[:, k]
        dtype = col.dtype
        if pd.api.types.is_bool_dtype(dtype):
            return None
        if dtype == np.float64:
            columns.append(_float_text(col.to_numpy(), pa, pc))
        elif pd.api.types.is_integer_dtype(dtype):
            columns.append(pc.cast(pa.array(col, from_pandas=True), pa.string()))
        elif pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
            if pd.api.types.is_object_dtype(dtype) and not col.map(type).isin((str, type(None))).all():
                return None  # numbers, NA objects ... in a text column: pandas decides
            text = pa.array(col.astype(object).where(col.notna(), None), type=pa.string())
            if pc.any(pc.match_substring_regex(text, r'[,"\r\n]')).as_py():
                return None  # quoting: pandas' csv writer does it
            columns.append(text)
        else:
            return None
    names = [str(c) for c in frame.columns]
    if any(_NEEDS_QUOTES.search(n) or n == "" for n in names):
        return None
    table = pa.table(columns, names=[f"c{k}" for k in range(len(columns))])
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(
        include_header=False, quoting_style="none", batch_size=1 << 16))
    body: str = sink.getvalue().to_pybytes().decode("utf-8")
    return (",".join(names) + "\n" + body) if header else body


def _float_text(x: np.ndarray, pa: Any, pc: Any) -> Any:
    """Floats as Python's repr writes them ("3.0", "0.1", "1e-05"), NaN as null.

    Arrow's shortest round-trip text equals repr for 1e-4 <= |x| < 1e9 (checked on
    random values of every magnitude), except that it writes whole numbers without
    ".0"; other values (zero, tiny, huge, infinite) are few and written by repr."""
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore"):
        a = np.abs(x)
        fast = (a >= 1e-4) & (a < 1e9)
        whole = fast & (np.floor(x) == x)
    text = pc.cast(pa.array(np.where(fast, x, 1.0)), pa.string())
    text = pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, ".0", ""), text)
    other = np.flatnonzero(~fast)
    if other.size:
        fill = [None if v != v else repr(float(v)) for v in x[other]]
        values = text.to_numpy(zero_copy_only=False).astype(object)
        values[other] = fill
        text = pa.array(values, type=pa.string())
    return text


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to text cells (and column names) a spreadsheet would run as a formula.

    >>> neutralize_formulas(pd.DataFrame({"id": ["=1+1", "-2", "@x", "p1"]}))["id"].tolist()
    ["'=1+1", '-2', "'@x", 'p1']
    """
    out = None
    for k in range(frame.shape[1]):
        col = frame.iloc[:, k]
        if not (pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype)):
            continue
        # As text (Arrow-backed where pyarrow is there: the regexes then run at once).
        text = (col.where(col.map(type).eq(str)) if col.dtype == object else col).astype("str")
        risky = text.str.match(_FORMULA_START.pattern).fillna(False).astype(bool)
        if risky.any():
            risky &= ~text.str.fullmatch(_PLAIN_NUMBER.pattern).fillna(False).astype(bool)
        if risky.any():
            if out is None:
                out = frame.copy()
            values = col.astype(object).copy()
            values[risky.to_numpy()] = "'" + text[risky].astype(str)
            out.isetitem(k, values)
    names = [_neutral(str(c)) for c in frame.columns]
    if names != [str(c) for c in frame.columns]:
        out = (frame.copy() if out is None else out).set_axis(names, axis=1)
    return frame if out is None else out


def _neutral(text: str) -> str:
    if _FORMULA_START.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_name(label: str) -> str:
    """A file name for ``label``: a slug, plus a short hash when it differs from the label.

    >>> safe_name("efa_loadings_T0"), safe_name("../../x")
    ('efa_loadings_T0', 'x-9cdf6a50')
    """
    slug = re.sub(r"\.{2,}", "_", _UNSAFE.sub("_", str(label))).strip("._") or "x"
    if slug != label or len(slug) > MAX_NAME:
        digest = hashlib.sha256(str(label).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        slug = f"{slug[:MAX_NAME]}-{digest}"
    return slug


def _swap(tmp: Path, out: Path, attempts: int = 20) -> None:
    """Put the finished folder ``tmp`` in the place of ``out``.

    ``out`` is first moved aside and removed only after ``tmp`` took its place. When
    another run swaps at the same moment, each attempt leaves one run's whole folder
    in place; the last run to swap wins, and no two runs' files are ever mixed.
    """
    for _ in range(attempts):
        if out.is_symlink() or (out.exists() and not out.is_dir()):
            raise OutputError(f"{out} was replaced by a file or link during the run; nothing "
                              "written.")
        old = None
        if out.exists():
            try:
                with os.scandir(out) as entries:
                    names = {e.name for e in entries}
            except FileNotFoundError:  # another run moved it away just now
                continue
            foreign = bool(names) and MARKER not in names
            if foreign:
                raise OutputError(f"{out} received other files during the run; nothing written.")
            old = out.parent / f".{out.name[:40]}.{uuid.uuid4().hex[:8]}.old"
            try:
                os.rename(out, old)
            except FileNotFoundError:  # another run moved it away just now
                continue
        try:
            os.rename(tmp, out)
        except OSError:  # another run put its folder there in between
            if old is not None:
                try:
                    os.rename(old, out)
                except OSError:
                    shutil.rmtree(old, ignore_errors=True)
            continue
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return
    raise OutputError(f"{out}: other runs kept writing their outputs there at the same time; "
                      "this run's outputs were not written.")


def _write_all(result: ValidationResult, out: Path, *, lang: Lang,
               report: bool) -> dict[str, Path]:
    written = {"results": out / "results.json", "scores": out / "scores.csv"}
    data = result.to_dict()  # once: results.json, the report and its tables share it
    if report:
        from psychometrics.report.html import render_report, report_tables

        written["report"] = out / "report.html"
        written["report"].write_text(render_report(result, lang, data), encoding="utf-8")
        tables = out / "tables"
        tables.mkdir()
        for name, frame in report_tables(result, data).items():
            write_csv(frame, tables / f"{safe_name(name)}.csv")
        written["tables"] = tables
    write_json(data, written["results"])
    write_csv(_scores_with_rci(result), written["scores"])
    ids = result.responses.layout.with_id_columns  # every id column in per-person files
    if len(result.person_change):
        written["change"] = out / "change.csv"
        write_csv(ids(result.person_change), written["change"])
    if len(result.multi_scale_persons):
        written["multi_scale"] = out / "multi_scale.csv"
        write_csv(ids(result.multi_scale_persons), written["multi_scale"])
    if len(result.responses.problems):
        written["problems"] = out / "problems.csv"
        write_csv(result.responses.problems, written["problems"])
    if len(result.scores.unscored):
        written["unscored"] = out / "unscored.csv"
        write_csv(ids(result.scores.unscored), written["unscored"])
    models = _models(result)
    if models:
        folder = out / "models"
        folder.mkdir()
        for name, syntax in models.items():
            (folder / f"{name}.lav").write_text(syntax, encoding="utf-8")
        written["models"] = folder
    return written


def write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False,
                               allow_nan=False) + "\n", encoding="utf-8")


def _safe(name: str) -> str:
    return safe_name(name)


def _models(result: ValidationResult) -> dict[str, str]:
    models: dict[str, str] = {}
    for scale, by_wave in result.cfa.items():
        for wave, fit in by_wave.items():
            models[_safe(f"cfa_{scale}_{wave}")] = fit.syntax
    for wave, fit in result.instrument_cfa.items():
        models[_safe(f"cfa_{result.instrument.id}_{wave}")] = fit.syntax
    for scale, inv in result.invariance.items():
        steps: Sequence[Step | OrdinalStep] = inv.steps
        for k, step in enumerate(steps):
            models[_safe(f"invariance_{scale}_{k + 1}_{step.model}")] = step.syntax
    for scale, by_pair in result.invariance_pairs.items():
        for pair, inv in by_pair.items():
            for k, step in enumerate(inv.steps):
                models[_safe(f"invariance_{scale}_{pair}_{k + 1}_{step.model}")] = step.syntax
    for scale, inv in result.group_invariance.items():
        for k, step in enumerate(inv.steps):
            models[_safe(f"group_invariance_{scale}_{k + 1}_{step.model}")] = step.syntax
    return models


def _scores_with_rci(result: ValidationResult) -> pd.DataFrame:
    table = result.scores.table
    person = result.person_change
    r = result.responses
    if person.empty or "rci_class" not in person or len(r.waves) < 2:
        return table
    table = table.copy()
    waves = r.keys["wave"].to_numpy()
    ids = r.keys["id"].to_numpy()
    for a, b in zip(r.waves[:-1], r.waves[1:]):
        part = person[person["pair"] == f"{a}->{b}"]
        for scale, rows in part.groupby("scale", sort=False):
            who = rows["id"].tolist()  # lists: iterating Arrow strings is slow
            rci = dict(zip(who, rows["rci"].tolist()))
            cls = dict(zip(who, rows["rci_class"].tolist()))
            at_b = waves == b
            if f"{scale}_rci" not in table:
                table[f"{scale}_rci"] = float("nan")
                table[f"{scale}_rci_class"] = ""
            table.loc[at_b, f"{scale}_rci"] = [rci.get(i, float("nan")) for i in ids[at_b]]
            table.loc[at_b, f"{scale}_rci_class"] = [cls.get(i, "") for i in ids[at_b]]
    return table
