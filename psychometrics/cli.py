"""The ``binnenuit`` command: a thin shell over the public functions.

Exit codes: 0 ok; 2 bad input (the message names file, row, column and value);
1 an internal error (a bug: the message asks to report it). No traceback is shown
unless the environment variable BINNENUIT_DEBUG is set.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psychometrics.decision_rules import DEFAULT_RULE
from psychometrics.estimators import DEFAULT_ESTIMATOR

if TYPE_CHECKING:
    import pandas as pd

    from instruments.reading import RawTable

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2

_EPILOG = "Exit codes: 0 ok, 2 bad input, 1 internal error (please report it)."


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    from instruments.errors import BinnenuitError

    try:
        return int(args.run(args) or EXIT_OK)
    except BinnenuitError as exc:
        print(f"binnenuit: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("binnenuit: interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        if os.environ.get("BINNENUIT_DEBUG"):
            traceback.print_exc()
        print(
            f"binnenuit: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in binnenuit. Please report it with the command you ran "
            "(set BINNENUIT_DEBUG=1 to see the traceback).",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


# -- commands ----------------------------------------------------------------------

def _cmd_banks(args: argparse.Namespace) -> int:
    from instruments import Instrument, bank_ids, instrument_ids, load_bank

    print("Item banks")
    for bank_id in bank_ids():
        bank = load_bank(bank_id)
        rs = bank.response_scale
        print(f"  {bank.id} v{bank.version}: {bank.title.en} ({len(bank.items)} items, "
              f"response scale {rs.min}..{rs.max})")
        for sub in bank.subscales:
            items = [i for i in bank.items if i.subscale == sub.id]
            rev = sum(i.keying == "-" for i in items)
            print(f"    {sub.id:<28} {len(items):>2} items" + (f", {rev} reversed" if rev else ""))
        for comp in bank.composites:
            print(f"    {comp.id:<28} composite: {comp.method} of {len(comp.scales)} scales")
    print("Instruments")
    for name in instrument_ids():
        inst = Instrument.load(name)
        comps = f", {len(inst.composites)} composites" if inst.composites else ""
        print(f"  {inst.id} v{inst.version}: {len(inst.scales)} scales, "
              f"{len(inst.items)} items" + comps)
    return EXIT_OK


def _cmd_score(args: argparse.Namespace) -> int:
    from psychometrics.report.outputs import check_out_file, write_files_atomic

    out = check_out_file(args.out, _inputs(args))
    stem = out.with_suffix("")
    problems, unscored = Path(f"{stem}.problems.csv"), Path(f"{stem}.unscored.csv")
    scored = _score_streaming(args, out, problems, unscored)
    if scored is None:  # a file the chunked reader does not take: read it whole
        from instruments.scoring import score

        scores = score(_raw(args), args.instrument, **_read_options(args))
        write_files_atomic({
            out: scores.table,
            problems: scores.problems if len(scores.problems) else None,
            unscored: (scores.responses.layout.with_id_columns(scores.unscored)
                       if len(scores.unscored) else None),
        })
        scored = (len(scores.table), scores.responses.n_rows, scores.problems, scores.unscored)
    n_scored, n_rows, found, missing = scored
    msg = [f"wrote {out} ({n_scored} of {n_rows} rows scored)"]
    if len(found):
        msg.append(f"wrote {problems} ({len(found)} problems; invalid cells set to missing)")
    if len(missing):
        msg.append(f"wrote {unscored} ({len(missing)} scale scores missing, with reasons)")
    if not args.quiet:
        print("\n".join(msg), file=sys.stderr)
    return EXIT_OK


def _score_streaming(args: argparse.Namespace, out: Path, problems: Path,
                     unscored: Path) -> tuple[int, int, pd.DataFrame, pd.DataFrame] | None:
    """Score a plain text file in chunks (memory independent of its rows), writing the
    scores as they come; None when the file needs the in-memory reader."""
    if args.sheet is not None or args.wide is not None or args.waves or "," in args.id:
        return None  # wide files, chosen waves and composite ids: the in-memory reader
    from instruments.streaming import ChunkedScores, NotStreamable
    from psychometrics.report.outputs import write_files_atomic

    bar = _ProgressBar() if (not args.quiet and sys.stderr.isatty()) else None
    try:
        long_options = {k: v for k, v in _read_options(args).items() if k not in ("wide", "waves")}
        stream = ChunkedScores(args.data, args.instrument, encoding=args.encoding,
                               progress=bar, **long_options)
        write_files_atomic({
            out: iter(stream),
            problems: lambda: _non_empty(stream.problems),
            unscored: lambda: _non_empty(stream.unscored),
        })
    except NotStreamable:
        return None
    finally:
        if bar is not None:
            bar.close()
    return stream.rows_scored, stream.n_rows, stream.problems, stream.unscored


def _non_empty(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """A table of the streaming scorer when it has rows (set once the file is read)."""
    return frame if frame is not None and len(frame) else None


class _ProgressBar:
    """A one-line progress bar on the terminal (only drawn on a TTY, never with --quiet)."""

    def __init__(self, width: int = 30) -> None:
        self.width, self.start, self.drawn = width, time.perf_counter(), False

    def __call__(self, done: int, total: int) -> None:
        share = min(done / total, 1.0) if total else 1.0
        filled = round(share * self.width)
        seconds = time.perf_counter() - self.start
        print(f"\rscoring [{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%} "
              f"{done / 1024 ** 2:,.0f} of {total / 1024 ** 2:,.0f} MiB, {seconds:.0f} s",
              end="", file=sys.stderr, flush=True)
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            print(file=sys.stderr, flush=True)


def _cmd_validate(args: argparse.Namespace) -> int:
    from psychometrics.report.outputs import check_out_dir

    check_out_dir(args.out, _inputs(args))  # before the analysis, not after it
    return _run_validate(_raw(args), args.instrument, args,
                         {**_read_options(args), **_stat_options(args)})


def _cmd_demo(args: argparse.Namespace) -> int:
    from psychometrics.example_study import EXAMPLE, example_data_path
    from psychometrics.report.outputs import check_out_dir

    check_out_dir(args.out, [example_data_path()])
    opts = {"id_column": EXAMPLE.id_column, "wave_column": EXAMPLE.wave_column,
            **_stat_options(args)}
    opts["cluster"] = opts["cluster"] or EXAMPLE.cluster_column
    opts["group"] = opts["group"] or EXAMPLE.group_column
    return _run_validate(str(example_data_path()), EXAMPLE.instrument, args, opts)


def _run_validate(data: RawTable | str, instrument: str, args: argparse.Namespace,
                  opts: dict[str, Any]) -> int:
    from instruments.errors import BinnenuitWarning
    from psychometrics.pipeline import validate
    from psychometrics.report.outputs import write_outputs
    from psychometrics.validate_options import ValidateOptions

    start = time.perf_counter()
    def progress(msg: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - start:6.1f}s] {msg}", file=sys.stderr)

    options = ValidateOptions.from_mapping(opts)  # checked here, recorded in results.json
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BinnenuitWarning)
        result = validate(data, instrument, options, progress=progress)
    if not args.quiet:  # each of the package's warnings once, as a line, not a traceback
        for record in result.warnings:
            times = f" ({record['count']} times)" if record["count"] > 1 else ""
            print(f"binnenuit: warning: {record['message']}{times}", file=sys.stderr)
    for w in caught:  # anything else goes on as it came
        if not issubclass(w.category, BinnenuitWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    progress("writing results.json, scores.csv, models/"
             + ("" if args.no_report else ", report.html and tables/"))
    written = write_outputs(result, args.out, lang=args.lang, report=not args.no_report,
                            inputs=_inputs(args))
    if not args.quiet:
        for path in written.values():
            print(f"wrote {path}", file=sys.stderr)
        print(result.scores.summary(), file=sys.stderr)
    return EXIT_OK


def _inputs(args: argparse.Namespace) -> list[str]:
    """The files a run reads: --out may not be or contain them."""
    found = [getattr(args, "data", None)]
    inst = getattr(args, "instrument", None)
    if inst and Path(inst).is_file():
        found.append(inst)
    return [f for f in found if f]


def _raw(args: argparse.Namespace) -> RawTable:
    from instruments.reading import read_table

    return read_table(args.data, sheet=args.sheet, encoding=args.encoding)


def _stat_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"missing": args.missing, "alpha_ci": args.alpha_ci, "n_boot": args.n_boot,
            "seed": args.seed, "model_missing": args.model_missing,
            "estimator": args.estimator, "rule": args.rule, "null_model": args.null_model,
            "rci_reliability": args.rci_reliability,
            "ignore_invariance": args.ignore_invariance, "cluster": args.cluster,
            "jobs": args.jobs,
            "group": args.group,
            "group_order": ([g.strip() for g in args.group_order.split(",")]
                            if args.group_order else None)}


def _read_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "id_column": args.id,
        "wave_column": args.wave,
        "on_invalid": args.on_invalid,
        "missing_codes": tuple(args.missing_code or ()),
        "wave_order": [w.strip() for w in args.wave_order.split(",")] if args.wave_order else None,
        "wide": args.wide,
        "waves": [w.strip() for w in args.waves.split(",")] if args.waves else None,
    }


# -- parser ------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="binnenuit",
        description="Score questionnaires, check their reliability and factor structure, "
        "test longitudinal measurement invariance, and only then compute change.",
        epilog="Example: binnenuit demo --out demo-out\n" + _EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    b = sub.add_parser("banks", help="list the bundled item banks and instruments",
                       description="List the bundled item banks (subscales, item counts) and instruments.",
                       epilog="Example: binnenuit banks\n" + _EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    b.set_defaults(run=_cmd_banks)

    s = sub.add_parser("score", help="score raw responses into scale scores",
                       description="Check raw responses against an instrument and write one row of "
                       "scale scores per input row.",
                       epilog="Example: binnenuit score data.csv --instrument kvb --id teacher "
                       "--wave wave --out scores.csv\n" + _EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _data_args(s)
    s.add_argument("--out", required=True, metavar="FILE.csv", help="where to write the scores")
    s.set_defaults(run=_cmd_score)

    v = sub.add_parser("validate", help="score and validate an instrument; write results.json",
                       description="Check and score raw responses, then validate the instrument; "
                       "writes DIR/results.json and DIR/scores.csv.",
                       epilog="Example: binnenuit validate data.csv --instrument kvb --id teacher "
                       "--wave wave --out results/\n" + _EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _data_args(v)
    v.add_argument("--out", required=True, metavar="DIR", help="folder for the outputs")
    _stat_args(v)
    v.set_defaults(run=_cmd_validate)

    d = sub.add_parser("demo", help="run validate on the bundled example study",
                       description="Run validate on the bundled example study (93 teachers, "
                       "6 schools, 2 waves, the kvb instrument).",
                       epilog="Example: binnenuit demo --out demo-out\n" + _EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("--out", default="binnenuit-demo", metavar="DIR",
                   help="folder for the outputs (default: %(default)s)")
    d.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _stat_args(d)
    d.set_defaults(run=_cmd_demo)
    return p


def _stat_args(p: argparse.ArgumentParser) -> None:
    from psychometrics.options import MIN_N_BOOT, allowed

    p.add_argument("--missing", choices=allowed("missing"), default="listwise",
                   help="missing answers in alpha and the item analysis: persons who "
                   "answered every item (listwise, default) or all pairs (pairwise, as "
                   "psych::alpha); omega always uses complete cases")
    p.add_argument("--model-missing", choices=allowed("model_missing"), default="fiml",
                   help="missing answers in CFA and invariance models: full-information ML "
                   "(default; everyone with an answer counts; with --estimator WLSMV: "
                   "pairwise) or listwise deletion")
    p.add_argument("--estimator", choices=allowed("estimator"), default=DEFAULT_ESTIMATOR,
                   help="estimator of the CFA and invariance models: ML (default, normal "
                   "theory); MLR (robust ML as lavaan's estimator = 'MLR': sandwich SEs, "
                   "Yuan-Bentler scaled chi2, robust CFI/TLI/RMSEA, Satorra-Bentler scaled "
                   "difference tests; the decision rules then judge the robust statistics); or "
                   "WLSMV (items as ordered categories: thresholds and polychorics, DWLS, robust "
                   "SEs, scaled-shifted chi2; Wu & Estabrook 2016 threshold invariance; missing "
                   "answers pairwise, or listwise with --model-missing listwise)")
    p.add_argument("--alpha-ci", choices=allowed("alpha_ci"), default="feldt",
                   help="confidence interval of alpha: Feldt's (default) or a percentile "
                   "bootstrap")
    p.add_argument("--n-boot", type=int, default=2000, metavar="N",
                   help=f"bootstrap resamples, at least {MIN_N_BOOT} (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of every simulation: the bootstrap of alpha, parallel analysis "
                   "and the calibrated invariance rule (default: %(default)s)")
    p.add_argument("--lang", choices=allowed("lang"), default="en",
                   help="language of scale and item texts in the report (default: %(default)s)")
    p.add_argument("--no-report", action="store_true",
                   help="skip report.html and tables/ (faster for batch runs)")
    p.add_argument("--rule", choices=allowed("rule"), default=DEFAULT_RULE,
                   help="invariance decision rule: lrt-calibrated (default: likelihood-ratio "
                   "tests with family-wise error control over the sequence, configural test "
                   "of close fit, bootstrap-calibrated at the study's N), cfi-rmsea (delta "
                   "CFI >= -.010 and delta RMSEA <= .015), chen-small-n (>= -.005 and "
                   "<= .010) or chi2 (p(delta chi2) > .05)")
    p.add_argument("--null-model", choices=allowed("null_model"),
                   default="independence",
                   help="baseline model of CFI/TLI in the invariance tests (default: lavaan's "
                   "independence model)")
    p.add_argument("--rci-reliability", choices=allowed("rci_reliability"), default="alpha",
                   help="reliability in the reliable change index (default: %(default)s)")
    p.add_argument("--ignore-invariance", action="store_true",
                   help="compute observed change even where invariance does not allow it "
                   "(marked unverified)")
    p.add_argument("--jobs", type=_jobs, default="auto", metavar="N",
                   help="processes for the analyses of the scales: 'auto' (default: one per "
                   "core, at most one per scale) or a number; 1 runs them in this process. The "
                   "results are the same on any number")
    p.add_argument("--cluster", default=None, metavar="COL",
                   help="a column of clusters (e.g. school): ICC(1), design effects and "
                   "cluster-robust SEs of the change (the demo uses 'school')")
    p.add_argument("--group", default=None, metavar="COL",
                   help="a column of groups (e.g. language version, condition): invariance "
                   "across the groups (with waves: groups x waves together), latent group "
                   "differences and change by group; a person's group must be the same at "
                   "every wave (the demo uses 'district')")
    p.add_argument("--group-order", default=None, metavar="G1,G2,...",
                   help="the order of the groups, the first the reference (default: sorted "
                   "by label, numbers numerically)")


def _jobs(text: str) -> int | str:
    """``--jobs``: 'auto' or a whole number (its range is checked with the other options)."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be 'auto' or a whole number, not {text!r}") from None


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA", help="responses: .csv, .tsv, .xlsx or .sav, one row "
                   "per person per wave")
    p.add_argument("--instrument", required=True, metavar="NAME_OR_FILE",
                   help="a bundled instrument (see 'binnenuit banks') or an instrument .yaml file")
    p.add_argument("--id", default="id", metavar="COL[,COL2]",
                   help="the id column, or several that identify a person together, e.g. "
                   "study,id (default: %(default)s)")
    p.add_argument("--wave", default=None, metavar="COL",
                   help="the wave column (default: none, all rows are one wave)")
    p.add_argument("--wide", nargs="?", const="{item}_{wave}", default=None, metavar="PATTERN",
                   help="the data are wide, one row per person, with item columns named by "
                   "PATTERN (default when given without a value: {item}_{wave}, e.g. "
                   "BPN01_T1); the waves come from the column names, other columns are "
                   "kept as person columns")
    p.add_argument("--waves", default=None, metavar="W1,W2,...",
                   help="the waves to analyse, in this order; rows of other waves are counted "
                   "in results.json (data.waves_left_out) and not scored")
    p.add_argument("--wave-order", default=None, metavar="W1,W2,...",
                   help="the order of all the wave labels (default: by the number in the "
                   "labels, else by first appearance); --waves also chooses")
    p.add_argument("--on-invalid", choices=("raise", "missing"), default="raise",
                   help="invalid cells stop the run (raise, default) or become missing and are "
                   "listed beside the output (missing)")
    p.add_argument("--missing-code", type=float, action="append", metavar="VALUE",
                   help="a value that means missing in this file, e.g. -99 (repeatable)")
    p.add_argument("--sheet", default=None, metavar="NAME",
                   help="the sheet of an Excel workbook (needed when it has several)")
    p.add_argument("--encoding", default=None, metavar="NAME",
                   help="the encoding of a text file, e.g. utf-16 or cp1252 (default: "
                   "detected from a byte-order mark, else UTF-8, else Windows-1252)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
