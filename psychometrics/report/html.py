"""The report a researcher reads: one self-contained HTML file, and its tables as CSV.

Built from a :class:`~psychometrics.pipeline.ValidationResult` only (no
recomputation); figures come from :mod:`psychometrics.report.figures` as inline SVG, the
CSS is inline, and nothing refers to the network. Sections follow the pipeline:
the data, each scale (items, reliability, CFA, invariance, change), the instrument
(EFA, CFA, omega hierarchical), multi-scale outcomes, and a closing summary in
plain words.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from psychometrics.report import figures

if TYPE_CHECKING:
    from instruments.instrument import Scale
    from psychometrics.pipeline import ValidationResult

Lang = Literal["en", "nl"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1.2em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;
margin-top:2em}h3{margin-top:1.6em;color:#0072B2}h4{margin:1.2em 0 .4em}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.86em}
th,td{padding:.25em .6em;text-align:right;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f3f6f9;border-bottom:2px solid #bbb}td.l,th.l{text-align:left}
.note{color:#555;font-size:.88em}.bad{color:#B35806;font-weight:600}.ok{color:#00734F}
.fig{display:inline-block;margin:.3em 1em .3em 0;vertical-align:top}.fig svg{max-width:100%;height:auto}
.summary li{margin:.3em 0}.tag{display:inline-block;padding:0 .45em;border-radius:.3em;
font-size:.8em;background:#eee}.toc{columns:3;font-size:.9em}
@media print{body{max-width:none}h2{page-break-before:always}.fig{page-break-inside:avoid}}
"""


#: The report's Content-Security-Policy: nothing runs and nothing is fetched, whatever a
#: label in the data contains (defence in depth beside escaping every user string).
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'")


def esc(v: Any) -> str:
    """The one escape path of the report: every user string (wave labels, item and
    scale ids, texts, file names, values) goes through it before it reaches HTML."""
    return html.escape(str(v), quote=True)


_SCALED = {"chi2": "chi2_scaled", "pvalue": "pvalue_scaled", "cfi": "cfi_scaled",
           "tli": "tli_scaled", "rmsea": "rmsea_scaled", "delta_chi2": "delta_chi2_scaled"}
WLSMV_NOTE = ("Estimator WLSMV (items as ordered categories): &chi;&sup2;, p, CFI, TLI and "
              "RMSEA are the scaled (mean-and-variance adjusted) statistics and &Delta;&chi;&sup2; "
              "is lavTestLRT's scaled-shifted difference; the robust CFI/TLI/RMSEA (Savalei "
              "2021) are in results.json where lavaan 0.6.14 reports them.")


def _shown(block: dict[str, Any]) -> dict[str, Any]:
    """A model block as the report shows it: with WLSMV, the scaled statistics."""
    if block.get("estimator") != "WLSMV":
        return block
    return {**block, **{k: block.get(v) for k, v in _SCALED.items() if v in block}}


def _f(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "&ndash;"
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, (float, np.floating)):
        return f"{v:.{digits}f}"
    return esc(str(v))


def _p(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "&ndash;"
    return "&lt; .001" if v < 0.001 else f"{v:.3f}".lstrip("0")


def _ci(pair: Iterable[Any]) -> str:
    lo, hi = list(pair)
    return f"[{_f(lo)}, {_f(hi)}]"


def _table(header: list[str], rows: list[list[str]], left: int = 1) -> str:
    th = "".join(f'<th class="{"l" if k < left else ""}">{h}</th>' for k, h in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td class="{"l" if k < left else ""}">{c}</td>'
                                    for k, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _fig(svg: str, caption: str) -> str:
    return f'<div class="fig">{svg}<div class="note">{esc(caption)}</div></div>'


def _status(d: dict[str, Any]) -> str:
    s = d.get("status")
    if s in ("ok", None):
        return ""
    return f'<p class="bad">{esc(str(s))}: {esc(str(d.get("reason", "")))}</p>'


def _text(mapping: Mapping[str, str] | None, lang: Lang, fallback: str) -> str:
    if not mapping:
        return fallback
    return mapping.get(lang) or mapping.get("en") or fallback


def report_tables(result: ValidationResult, data: dict[str, Any] | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the report as a DataFrame (written as tables/*.csv); ``data`` is
    ``result.to_dict()`` when the caller has it already (it is not computed twice)."""
    res = result.to_dict() if data is None else data
    rel, items, cfa, inv, change = [], [], [], [], []
    for s, d in res["scales"].items():
        for w, r in d["reliability"].items():
            o = r.get("ordinal") or {}
            rel.append({"scale": s, "wave": w, "status": r["status"], "n": r["n"],
                        "alpha": r["alpha"], "alpha_ci_low": r["alpha_ci"][0],
                        "alpha_ci_high": r["alpha_ci"][1], "alpha_std": r["alpha_std"],
                        "omega_total": r["omega_total"], "ordinal_alpha": o.get("ordinal_alpha"),
                        "ordinal_omega": o.get("ordinal_omega")})
            for item, st in r["items"].items():
                items.append({"scale": s, "wave": w, "item": item, **st})
        for w, c in d["cfa"].items():
            cfa.append({"scale": s, "wave": w, **{k: c.get(k) for k in (
                "status", "estimator", "n", "chi2", "df", "pvalue", "cfi", "tli", "rmsea",
                "srmr")},
                "rmsea_ci_low": c["rmsea_ci"][0], "rmsea_ci_high": c["rmsea_ci"][1],
                **_robust_columns(c)})
        for st in d.get("invariance", {}).get("steps", []):
            inv.append({"scale": s, **{k: (";".join(v) if k == "freed" else v)
                                       for k, v in st.items()
                                       if k not in ("rmsea_ci", "rmsea_robust_ci")},
                        "rmsea_ci_low": st["rmsea_ci"][0], "rmsea_ci_high": st["rmsea_ci"][1],
                        **_robust_columns(st)})
        for pair, c in d.get("change", {}).items():
            change.append({"scale": s, "pair": pair, **{k: v for k, v in c.items()
                                                         if not isinstance(v, (list, dict))},
                           "mean_diff_ci_low": c["mean_diff_ci"][0],
                           "mean_diff_ci_high": c["mean_diff_ci"][1]})
    out = {"reliability": pd.DataFrame(rel), "items": pd.DataFrame(items),
           "cfa": pd.DataFrame(cfa), "invariance": pd.DataFrame(inv),
           "change": pd.DataFrame(change)}
    for w, e in result.efa.items():
        if len(e.loadings):
            out[f"efa_loadings_{w}"] = e.loadings.reset_index(names="item")
    for bank, by_wave in result.efa_banks.items():
        for w, e in by_wave.items():
            if len(e.loadings):
                out[f"efa_loadings_{bank}_{w}"] = e.loadings.reset_index(names="item")
    if len(result.multi_scale_persons):
        out["multi_scale"] = result.multi_scale_persons
    return out


def render_report(result: ValidationResult, lang: Lang = "en", data: dict[str, Any] | None = None) -> str:
    """The whole report as one HTML string; ``data`` is ``result.to_dict()`` when the
    caller has it already (it is not computed twice)."""
    res = result.to_dict() if data is None else data
    inst = result.instrument
    r = result.responses
    title = _text(inst.title, lang, inst.id)
    parts = [f"<!DOCTYPE html><html lang=\"{esc(lang)}\"><head><meta charset=\"utf-8\">"
             f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
             f"<title>binnenuit report: {esc(title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{esc(title)}</h1>",
             f'<p class="note">Instrument <b>{esc(inst.id)}</b> v{esc(inst.version)} '
             f"&middot; data <b>{esc(r.source)}</b> &middot; made by binnenuit on "
             f"{_dt.date.today().isoformat()}. Every number here is also in results.json and "
             "tables/*.csv; every model's lavaan syntax is in models/.</p>",
             '<p><a href="#summary">Go to the closing summary</a>: which scales changed and '
             "which comparisons were blocked, and why.</p>"]
    parts.append(_data_section(result, res))
    parts.append("<h2>Scales</h2><div class=\"toc\">" + "".join(
        f'<div><a href="#s-{esc(s.id)}">{esc(_text(s.title, lang, s.id))}</a></div>'
        for s in inst.scales) + "</div>")
    for scale in inst.scales:
        parts.append(_scale_section(result, res, scale, lang))
    parts.append(_instrument_section(result, res))
    parts.append(_multi_section(result, res, lang))
    parts.append(_summary(result, res, lang))
    parts.append(_methods(res))
    parts.append("</body></html>")
    return "\n".join(parts)


def _summary(result: ValidationResult, res: dict[str, Any], lang: Lang) -> str:
    changed: list[str] = []
    unchanged: list[str] = []
    blocked: list[str] = []
    for s in result.instrument.scales:
        name = esc(_text(s.title, lang, s.id))
        for pair, c in res["scales"][s.id].get("change", {}).items():
            if c["status"] == "blocked":
                blocked.append(f"<li><b>{name}</b> ({esc(pair)}): no change score. "
                               f"{esc(c['reason'])}</li>")
            elif c["status"] in ("ok", "unverified") and c["p"] is not None:
                flag = ' <span class="tag">unverified</span>' if c["unverified"] else ""
                direction = "rose" if c["mean_diff"] > 0 else "fell"
                text = (f"<li><b>{name}</b> ({esc(pair)}) {direction} by {_f(abs(c['mean_diff']))} "
                        f"(95% CI {_ci(c['mean_diff_ci'])}; d<sub>z</sub> = {_f(c['d_z'], 2)}, "
                        f"p {'= ' if c['p'] >= 0.001 else ''}{_p(c['p'])}); "
                        f"{_f(100 * (c['rci_improved'] or 0), 0)}% improved reliably, "
                        f"{_f(100 * (c['rci_deteriorated'] or 0), 0)}% deteriorated{flag}"
                        f"{_bias_sentence(c)}.</li>")
                (changed if c["p"] < 0.05 else unchanged).append(text)
    if not (changed or unchanged or blocked):
        return '<h2 id="summary">Summary</h2><p>One wave only: no change was computed.</p>'
    return ('<h2 id="summary">Summary</h2><div class="summary">'
            f"<h4>Changed (paired t, p &lt; .05): {len(changed)}</h4>"
            f"<ul>{''.join(changed) or '<li>none</li>'}</ul>"
            f"<h4>No clear change: {len(unchanged)}</h4>"
            f"<ul>{''.join(unchanged) or '<li>none</li>'}</ul>"
            f"<h4>Blocked by the invariance gate: {len(blocked)}</h4>"
            f"<ul>{''.join(blocked) or '<li>none</li>'}</ul>"
            "<p class=\"note\">Change is computed only where the scale's measurement is at least "
            "partially scalar invariant across the waves; p-values are not corrected for the "
            "number of scales"
            + (f"; see the clusters section ({esc(res['clusters']['column'])}) for the design "
               "effect of the clusters" if res.get("clusters") else "")
            + ".</p></div>")


def _bias_sentence(c: dict[str, Any]) -> str:
    """What released parameters do to this change, in words (empty when nothing was)."""
    bias, inv = c.get("bias_from_noninvariance"), c.get("invariant_items") or {}
    if bias is None or abs(bias) < 1e-12 or inv.get("mean_diff") is None:
        return ""
    return (f"; about {_f(bias)} of the difference is expected from items whose parameters "
            f"differ between the waves, and on the invariant items alone "
            f"({esc(', '.join(inv['items']))}) the change is {_f(inv['mean_diff'])} "
            f"(95% CI {_ci(inv['mean_diff_ci'])})")


def _data_section(result: ValidationResult, res: dict[str, Any]) -> str:
    d = res["data"]
    rows = [[esc(w), str(n)] for w, n in d["persons_per_wave"].items()]
    r = result.responses
    miss = np.isnan(r.values).mean(axis=1)
    waves = r.keys["wave"].to_numpy()
    missing = [[esc(w), _f(100 * miss[waves == w].mean(), 1) + "%"] for w in r.waves]
    rows_word = ("rows after reshaping, one per person and wave,"
                 if (d.get("layout") or {}).get("format") == "wide" else "rows")
    out = ["<h2>The data</h2>",
           f"<p>{d['n_rows']} {rows_word} ({d['rows_scored']} scored) from {d['n_persons']} persons; "
           f"read as {esc(d['read_as'])}. {_shape_sentences(d)}Columns not used: "
           f"{esc(', '.join(d['unused_columns']) or 'none')}.</p>",
           _table(["wave", "persons"], rows), _table(["wave", "missing answers"], missing)]
    probs = res["problems"]
    if probs:
        out.append(f"<h4>{len(probs)} problem(s) in the data</h4>")
        out.append(_table(["row", "column", "value", "problem", "action"],
                          [[_f(p["row"]), esc(str(p["column"])), esc(str(p["value"])),
                            esc(p["problem"]), esc(p["action"])] for p in probs[:100]], 5))
        if len(probs) > 100:
            out.append(f"<p class=\"note\">{len(probs) - 100} more in problems.csv.</p>")
    else:
        out.append("<p class=\"ok\">No problems were found in the data.</p>")
    if res["attrition"]:
        a = res["attrition"]
        smd = [[esc(s), _f(v)] for s, v in a["smd"].items()]
        out.append(f"<h4>Attrition</h4><p>{a['n_completers']} persons were seen again after "
                   f"{esc(a['first_wave'])}; {a['n_first_wave_only']} only at {esc(a['first_wave'])}. "
                   "Standardized mean differences at the first wave (completers minus dropouts):</p>")
        out.append(_table(["scale", "SMD"], smd))
    return "\n".join(out)


def _shape_sentences(d: dict[str, Any]) -> str:
    """What was done to the file's shape, said only when something was."""
    out = []
    layout = d.get("layout") or {}
    if layout.get("format") == "wide":
        without = {w: k for w, k in layout["person_waves_without_answers"].items()
                   if k and w in d["waves"]}
        out.append(f"A wide file of {layout['input_rows']} rows, one per person, item columns "
                   f"named '{layout['pattern']}'; each person's answers at a wave make one row"
                   + (" (no row where a person answered nothing at a wave: "
                      + ", ".join(f"{w} {k}" for w, k in without.items()) + ")"
                      if without else "") + ".")
    ids = d.get("id_columns") or []
    if len(ids) > 1:
        out.append(f"A person is identified by {', '.join(ids[:-1])} and {ids[-1]} together.")
    left = d.get("waves_left_out") or {}
    if left:
        out.append("Rows of the waves not chosen were not analysed: "
                   + ", ".join(f"{w} {k} rows" for w, k in left.items()) + ".")
    return esc(" ".join(out)) + (" " if out else "")


def _scale_section(result: ValidationResult, res: dict[str, Any], scale: Scale,
                   lang: Lang) -> str:
    d = res["scales"][scale.id]
    name = _text(scale.title, lang, scale.id)
    out = [f'<h3 id="s-{esc(scale.id)}">{esc(name)} <span class="tag">{esc(scale.id)}</span></h3>']
    waves = list(result.responses.waves)
    out.append(_items_table(result, d, scale, waves, lang))
    out.append(_reliability_table(d, waves))
    out.extend(_cfa_html(d, waves))
    inv = d.get("invariance")
    if inv:
        out.extend(_invariance_html(inv))
    ch = d.get("change", {})
    if ch:
        out.extend(_change_html(ch))
    if d.get("group_invariance"):
        out.append(_group_html(d["group_invariance"], d.get("change_by_group", {})))
    out.append(_scale_figures(result, scale))
    return "\n".join(out)


def _items_table(result: ValidationResult, d: dict[str, Any], scale: Scale, waves: list[str],
                 lang: Lang) -> str:
    """Each item's text, keying, and mean and item-rest correlation per wave."""
    header = ["item", "text", "key"] + [f"{h} {esc(w)}" for w in waves
                                        for h in ("mean", "r<sub>it</sub>")]
    rows = []
    for item in scale.items:
        meta = result.instrument.items_by_id[item]
        text = _text(meta.text, lang, "")
        flags = [w for w in waves
                 if d["reliability"][w]["items"].get(item, {}).get("negative_item_rest")]
        row = [esc(item) + (' <span class="bad">r&lt;0</span>' if flags else ""), esc(text),
               "&minus;" if meta.reversed else "+"]
        for w in waves:
            st = d["reliability"][w]["items"].get(item, {})
            row += [_f(st.get("mean"), 2), _f(st.get("item_rest_r"), 2)]
        rows.append(row)
    return _table(header, rows, 2)


def _reliability_table(d: dict[str, Any], waves: list[str]) -> str:
    """Alpha (with its CI), omega and the ordinal coefficients per wave."""
    rel_rows = []
    for w in waves:
        x = d["reliability"][w]
        o = x.get("ordinal") or {}
        rel_rows.append([esc(w), _f(x["n"]), _f(x["alpha"]), _ci(x["alpha_ci"]),
                         _f(x["omega_total"]),
                         _f(o.get("ordinal_alpha")), _f(o.get("ordinal_omega")),
                         esc(x["reason"] or (x["omega"] or {}).get("note") or "")])
    return "<h4>Reliability</h4>" + _table(
        ["wave", "n", "&alpha;", "95% CI", "&omega;<sub>t</sub>", "ordinal &alpha;",
         "ordinal &omega;", "note"], rel_rows)


def _cfa_html(d: dict[str, Any], waves: list[str]) -> list[str]:
    """The one-factor CFA per wave (robust columns with MLR, a note with WLSMV)."""
    cfa_rows = []
    for w in waves:
        c = _shown(d["cfa"][w])
        cfa_rows.append([esc(w), esc(c["status"]), _f(c["n"]), _f(c["chi2"], 2), _f(c["df"]),
                         _p(c["pvalue"]), _f(c["cfi"]), _f(c["tli"]),
                         f"{_f(c['rmsea'])} {_ci(c['rmsea_ci'])}", _f(c["srmr"]),
                         " ".join(f"{esc(k)}:{_f(v, 2)}" for k, v in c["loadings_std"].items())])
    cfa_head = ["wave", "status", "n", "&chi;&sup2;", "df", "p", "CFI", "TLI",
                "RMSEA [90% CI]", "SRMR", "standardized loadings"]
    if any(d["cfa"][w].get("estimator") == "MLR" for w in waves):
        cfa_head += _ROBUST_HEAD
        for row, w in zip(cfa_rows, waves):
            row += _robust_cells(d["cfa"][w])
    out = ["<h4>One-factor CFA</h4>" + _estimator_note(d["cfa"][waves[0]] if waves else {})
           + _table(cfa_head, cfa_rows, 2)]
    if any(d["cfa"][w].get("estimator") == "WLSMV" for w in waves):
        out.append(f'<p class="note">{WLSMV_NOTE}</p>')
    return out


def _invariance_html(inv: dict[str, Any]) -> list[str]:
    """The longitudinal invariance level, its steps, notes and non-invariant parameters."""
    out = [f"<h4>Longitudinal invariance: level <b>{esc(inv['level'])}</b></h4>",
           _status(inv), _steps_table(inv)]
    if inv.get("estimator") == "WLSMV":
        out.append(f'<p class="note">{WLSMV_NOTE}</p>')
    out.append(f"<p class=\"note\">{esc(invariance_sample(inv))} "
               f"{esc(' '.join(inv['notes']))}</p>")
    out.append(_rule_note(inv))
    out.append(_noninvariance_table(inv))
    return out


def _change_html(ch: dict[str, Any]) -> list[str]:
    """Observed and latent change per pair of waves, and why a pair is blocked."""
    rows = []
    for pair, c in ch.items():
        lat = c.get("latent") or {}
        latent = (f"{_f(lat.get('estimate'), 2)} {_ci(lat.get('ci', [None, None]))}"
                  if lat else "&ndash;")
        rows.append([esc(pair), esc(c["status"]), _f(c["n"]), _f(c["mean_diff"]),
                     _ci(c["mean_diff_ci"]), _f(c["t"], 2), _p(c["p"]),
                     f"{_f(c['d_z'], 2)} {_ci(c['d_z_ci'])}", f"{_f(c['d_av'], 2)}",
                     f"{_f(c['rci_improved'], 2)} / {_f(c['rci_unchanged'], 2)} / "
                     f"{_f(c['rci_deteriorated'], 2)}",
                     latent, _f(c.get("bias_from_noninvariance")), _invariant_items_cell(c)])
    out = ["<h4>Change</h4>" + _table(
        ["waves", "status", "n", "mean diff", "95% CI", "t", "p", "d<sub>z</sub> [CI]",
         "d<sub>av</sub>", "improved / unchanged / deteriorated", "latent (SD units)",
         "bias from non-invariance", "invariant items only: mean diff [CI], d<sub>z</sub>"],
        rows, 2)]
    out.append('<p class="note">Bias from non-invariance: the part of the observed mean '
               "difference (response units) that the released loadings and intercepts are "
               "expected to cause; invariant items only: the same change on the items whose "
               "parameters stayed equal (a sensitivity analysis).</p>")
    for pair, c in ch.items():
        if c["status"] == "blocked":
            out.append(f'<p class="bad">{esc(pair)}: {esc(c["reason"])}</p>')
    return out


def _steps_table(inv: dict[str, Any]) -> str:
    """The steps of an invariance sequence (over waves, groups or both), with the robust
    columns when the estimator was MLR and a note on the estimator."""
    steps = []
    for st in map(_shown, inv["steps"]):
        steps.append([esc(st["model"]), _f(st["chi2"], 2), _f(st["df"]), _f(st["cfi"]), _f(st["tli"]),
                      f"{_f(st['rmsea'])} {_ci(st['rmsea_ci'])}", _f(st["srmr"]),
                      _f(st["delta_chi2"], 2), _f(st["delta_df"]) if st["compared_with"] else "&ndash;",
                      _p(st["delta_p"]), _f(st["delta_cfi"]), _f(st["delta_rmsea"]),
                      _verdict(st), esc(st["decision"]),
                      esc(", ".join(st["freed"]))])
    head = ["model", "&chi;&sup2;", "df", "CFI", "TLI", "RMSEA [90% CI]", "SRMR",
            "&Delta;&chi;&sup2;", "&Delta;df", "p", "&Delta;CFI", "&Delta;RMSEA",
            "decision", "why", "freed"]
    note = ""
    if any(st.get("estimator") == "MLR" for st in inv["steps"]):
        # The robust columns go before the decision, which is taken on them.
        head[12:12] = [*_ROBUST_HEAD, "scaled &Delta;&chi;&sup2;", "scaled p",
                       "&Delta; robust CFI", "&Delta; robust RMSEA"]
        for row, st in zip(steps, inv["steps"]):
            row[12:12] = [
                *_robust_cells(st),
                _f(st.get("delta_chi2_scaled"), 2), _p(st.get("delta_p_scaled")),
                _f(st.get("delta_cfi_robust")), _f(st.get("delta_rmsea_robust"))]
        note = _estimator_note(inv["steps"][0])
    return note + _table(head, steps)


def _group_html(inv: dict[str, Any], by_group: dict[str, Any]) -> str:
    """Invariance across groups (x waves), the latent group differences and the change
    by group."""
    groups = inv.get("groups") or []
    sizes = ", ".join(f"{esc(g)} (n = {inv.get('n_per_group', {}).get(g, 0)})" for g in groups)
    across = "groups &times; waves" if len(inv.get("waves", [])) > 1 else "groups"
    out = [f"<h4>Invariance across {across}: level <b>{esc(inv['level'])}</b></h4>",
           f"<p>Groups: {sizes}; the first is the reference.</p>", _status(inv)]
    if inv.get("steps"):
        out.append(_steps_table(inv))
        out.append(_rule_note(inv))
    released = inv.get("noninvariance") or []
    if released:
        rows = [[esc(x.get("group", "")), esc(x["item"]), esc(x["wave"]), esc(x["parameter"]),
                 _f(x["dmacs"]), _f(x["mean_bias"])] for x in released]
        out.append("<h4>Size of the non-invariance across groups</h4>" + _table(
            ["group", "item", "wave", "released", "dMACS", "mean bias (response units)"],
            rows, 4))
        out.append(f'<p class="note">dMACS with the group as focal and {esc(groups[0])} as '
                   "reference at the same wave (pooled item SD of the two groups).</p>")
    rows = [[esc(g), esc(w), _f(v["estimate"], 3), _f(v["se"], 3), _ci(v["ci"])]
            for g, by_wave in inv.get("latent_mean_diff_std", {}).items()
            for w, v in by_wave.items()]
    if rows:
        out.append("<h4>Latent group differences</h4>" + _table(
            ["group", "wave", "difference (reference SD)", "SE", "95% CI"], rows, 2))
        out.append(f'<p class="note">Each group\'s latent mean minus that of {esc(groups[0])}, '
                   f"in {esc(groups[0])}'s latent SD at that wave, from the (partial) scalar "
                   "model.</p>")
    for pair, c in by_group.items():
        if c["status"] == "blocked":
            out.append(f'<p class="bad">Change by group {esc(pair)}: {esc(c["reason"])}</p>')
            continue
        rows = [[esc(g), esc(x["status"]), _f(x["n"]), _f(x["mean_diff"]), _ci(x["mean_diff_ci"]),
                 f"{_f(x['d_z'], 2)}"] for g, x in c["groups"].items()]
        out.append(f"<h4>Change by group, {esc(pair)}</h4>" + _table(
            ["group", "status", "n", "mean change", "95% CI", "d<sub>z</sub>"], rows, 2))
        rows = [[esc(g), esc(x["status"]), _f(x["mean_change_diff"]),
                 _ci(x["mean_change_diff_ci"]), _f(x["welch_t"], 2), _f(x["welch_df"], 1),
                 _p(x["p"]), _f(x["hedges_g"], 2)] for g, x in c["difference"].items()]
        out.append(_table(["group minus " + esc(groups[0]), "status", "difference in change",
                           "95% CI", "Welch t", "df", "p", "Hedges' g"], rows, 2))
        if c["status"] == "unverified":
            out.append(f'<p class="bad">{esc(c["reason"])}</p>')
    return "\n".join(out)


def _verdict(step: dict[str, Any]) -> str:
    if step["accepted"] is None:
        return "not judged"
    return "accepted" if step["accepted"] else '<span class="bad">rejected</span>'


_ROBUST_HEAD = ["scaled &chi;&sup2;", "scaling factor", "scaled p", "robust CFI", "robust TLI",
                "robust RMSEA [90% CI]"]


def _robust_cells(block: dict[str, Any]) -> list[str]:
    """The MLR statistics of a model block, as table cells."""
    return [_f(block.get("chi2_scaled"), 2), _f(block.get("scaling_factor")),
            _p(block.get("pvalue_scaled")), _f(block.get("cfi_robust")),
            _f(block.get("tli_robust")),
            f"{_f(block.get('rmsea_robust'))} {_ci(block.get('rmsea_robust_ci') or [None, None])}"]


def _robust_columns(block: dict[str, Any]) -> dict[str, Any]:
    """The MLR statistics of a model block, as columns of a CSV table."""
    if block.get("estimator") != "MLR":
        return {}
    ci = block.get("rmsea_robust_ci") or [None, None]
    return {**{k: block.get(k) for k in ("chi2_scaled", "scaling_factor", "pvalue_scaled",
                                         "cfi_robust", "tli_robust", "rmsea_robust")},
            "rmsea_robust_ci_low": ci[0], "rmsea_robust_ci_high": ci[1]}


def _estimator_note(block: dict[str, Any]) -> str:
    """Which estimator produced the numbers below."""
    if block.get("estimator") != "MLR":
        return ""
    return ('<p class="note">Estimator <b>MLR</b> (robust ML, as lavaan 0.6.14\'s estimator = '
            '"MLR"): ML estimates and &chi;&sup2;; standard errors are Huber&ndash;White '
            "sandwich ones; the scaled &chi;&sup2; is Yuan&ndash;Bentler's (Mplus variant); "
            "robust CFI, TLI and RMSEA after Brosseau-Liard &amp; Savalei (FIML-corrected with "
            "missing answers); differences are Satorra&ndash;Bentler scaled. The decisions "
            "use the robust statistics.</p>")


def _rule_note(inv: dict[str, Any]) -> str:
    """The rule in words, with its levels as applied to this study and its seed."""
    d = inv.get("rule_details") or {}
    if not d:
        return ""
    text = f"Decision rule <b>{esc(str(d.get('name')))}</b>: {esc(str(d.get('description')))}."
    boot = d.get("bootstrap")
    if boot:
        used = [st for st in inv["steps"] if st.get("bootstrap_draws")]
        text += (f" Bootstrap seed {esc(str(boot.get('seed')))} (each test draws its own "
                 "stream, derived from it with the scale, model and releases), at most "
                 f"{boot.get('max_draws')} draws; used here for "
                 + (", ".join(f"{esc(st['model'])} ({st['bootstrap_draws']} draws, "
                              f"p = {_f(st['delta_p_bootstrap'], 4)})" for st in used)
                    if used else "no step (every asymptotic p was outside the grey zone)") + ".")
    return f'<p class="note">{text}</p>'


def _noninvariance_table(inv: dict[str, Any]) -> str:
    sizes = inv.get("noninvariance") or []
    if not sizes:
        return ""
    def label(v: float | None) -> str:
        return ("" if v is None else "large" if v >= 0.6 else "medium" if v >= 0.4
                else "small" if v >= 0.2 else "negligible")

    rows = [[esc(x["item"]), esc(x["wave"]), esc(x["parameter"]),
             f"{_f(x['dmacs'])} ({label(x['dmacs'])})", _f(x["mean_bias"])] for x in sizes]
    return ("<h4>Size of the non-invariance</h4>"
            + _table(["item", "wave", "released", "dMACS", "mean bias (response units)"], rows, 3)
            + '<p class="note">dMACS (Nye &amp; Drasgow 2011; later wave as focal, pooled item '
              "SD): .2 small, .4 medium, .6 large (Nye et al. 2019). Mean bias: how much higher "
              "the item is answered at that wave than an invariant item would be, at the same "
              "latent level.</p>")


def _invariant_items_cell(c: dict[str, Any]) -> str:
    inv = c.get("invariant_items")
    if not inv or inv.get("mean_diff") is None:
        return "&ndash;"
    return (f"{_f(inv['mean_diff'])} {_ci(inv['mean_diff_ci'])}, {_f(inv['d_z'], 2)} "
            f"({esc(', '.join(inv['items']))})")


def _scale_figures(result: ValidationResult, scale: Scale) -> str:
    from instruments.scoring import keyed_items

    r = result.responses
    items = keyed_items(r, scale.id)
    figs = [_fig(figures.response_distribution(items, r.keys["wave"].to_numpy(), scale.min,
                                               scale.max),
                 "answers per item and wave (after reverse keying)")]
    if len(r.waves) > 1:
        table = result.scores.table.assign(_id=r.keys["id"].to_numpy(), _w=r.keys["wave"].to_numpy())
        wide = table.pivot(index="_id", columns="_w", values=scale.id)[list(r.waves)]
        drawn = "" if len(wide) <= figures.MAX_DRAWN else \
            f" ({figures.MAX_DRAWN} of {len(wide)} persons drawn at random)"
        figs.append(_fig(figures.spaghetti(wide, scale.min, scale.max),
                         "scale scores across waves" + drawn))
        pc = result.person_change
        a, b = r.waves[0], r.waves[1]
        part = pc[(pc["scale"] == scale.id) & (pc["pair"] == f"{a}->{b}")] if len(pc) else pc
        rel = result.reliability[scale.id][a].alpha.alpha
        if len(part) and "rci_class" in part and math.isfinite(rel):
            both = wide.loc[part["id"]]
            sd = float(both[a].std(ddof=1))
            band = 1.959963984540054 * math.sqrt(2) * sd * math.sqrt(1 - rel)
            figs.append(_fig(figures.jacobson_truax(both[a].to_numpy(), both[b].to_numpy(),
                                                    part["rci_class"].to_numpy(), band, scale.min,
                                                    scale.max, (a, b)),
                             "Jacobson-Truax plot: outside the band is reliable change"
                             + ("" if len(both) <= 10 * figures.MAX_DRAWN else
                                f" ({10 * figures.MAX_DRAWN} of {len(both)} persons drawn)")))
    return "".join(figs)


def _instrument_section(result: ValidationResult, res: dict[str, Any]) -> str:
    out = ["<h2>The instrument</h2>"]
    for label, by_wave in [("all items", result.efa)] + [
            (f"bank {b}", v) for b, v in result.efa_banks.items()]:
        for w, e in by_wave.items():
            d = e.to_dict()
            out.append(f"<h4>EFA of {esc(label)}, {esc(w)}</h4>")
            if d["kmo"] is not None:
                out.append(f"<p>KMO = {_f(d['kmo'])}; Bartlett &chi;&sup2;({d['bartlett']['df']}) = "
                           f"{_f(d['bartlett']['chi2'], 1)}, p {_p(d['bartlett']['p'])}; parallel "
                           f"analysis suggests {d['n_factors_parallel']} factor(s), the scree "
                           f"{d['n_factors_scree']}; extracted {d['n_factors']} ({d['extraction']}, "
                           f"{d['rotation']}).</p>")
            out.append(_status(d))
            if e.parallel is not None:
                out.append(_fig(figures.scree(e.parallel.eigenvalues, e.parallel.random_95,
                                              e.parallel.n_factors), "parallel analysis"))
            if len(e.loadings):
                out.append(_fig(figures.loadings_heatmap(e.loadings), "pattern loadings"))
                if e.flags:
                    out.append("<p class=\"note\">Flagged: " + esc(
                        "; ".join(f"{k} ({v})" for k, v in e.flags.items())) + "</p>")
    rows = [[esc(w), esc(c["status"]), _f(c["n"]), _f(c["chi2"], 1), _f(c["df"]), _f(c["cfi"]),
             _f(c["tli"]), _f(c["rmsea"]), _f(c["srmr"])]
            + (_robust_cells(c) if c.get("estimator") == "MLR" else []) + [esc(c["reason"])]
            for w, c in ((w, _shown(c)) for w, c in res["instrument_cfa"].items())]
    mlr = any(c.get("estimator") == "MLR" for c in res["instrument_cfa"].values())
    out.append("<h4>CFA of the instrument (correlated factors)</h4>" + _table(
        ["wave", "status", "n", "&chi;&sup2;", "df", "CFI", "TLI", "RMSEA", "SRMR"]
        + (_ROBUST_HEAD if mlr else []) + ["reason"], rows, 2))
    for g, v in res["omega_hierarchical"].items():
        rows = [[esc(w), esc(x["status"]), _f(x["omega_h"]), _f(x["omega_total"]),
                 esc(x["reason"])] for w, x in v["by_wave"].items()]
        out.append(f"<h4>Omega hierarchical: {esc(g)} ({esc(', '.join(v['scales']))})</h4>"
                   + _table(["wave", "status", "&omega;<sub>h</sub>", "&omega;<sub>t</sub>", "note"], rows))
    return "\n".join(out)


def _multi_section(result: ValidationResult, res: dict[str, Any], lang: Lang) -> str:
    multi = res.get("multi_scale_change") or {}
    if not multi:
        return ""
    out = ["<h2>Change across scales per person</h2>",
           "<p>For each person, the scales on which the reliable change index shows improvement "
           "(only scales whose change passed the invariance gate, or all with "
           "--ignore-invariance).</p>"]
    pc = result.person_change
    titles = {s.id: _text(s.title, lang, s.id) for s in result.instrument.scales}
    banked = any(s.bank for s in result.instrument.scales)
    for pair, banks in multi.items():
        for bank, v in banks.items():
            # scales without a bank are grouped as "scales": do not say "scales scales"
            what = f"{bank} scales" if banked and bank != "scales" else "scales"
            out.append(f"<h4>{esc(what[:1].upper() + what[1:])}, {esc(pair)}</h4>")
            out.append(_fig(figures.count_distribution(v["distribution"], "scales"),
                            f"persons by number of {what} improved"))
            part = pc[(pc["pair"] == pair) & pc["scale"].isin(v["scales"])]
            seen = set(part["scale"].unique())  # once: a set of every row per scale was 36 ms
            present = [s for s in v["scales"] if s in seen]
            if present:
                out.append(_fig(figures.multi_layer(part, present, [titles[s] for s in present]),
                                "reliable change per person and scale"))
    if res.get("clusters"):
        c = res["clusters"]
        rows = []
        for s, pairs in c["change"].items():
            for pair, x in pairs.items():
                rows.append([esc(s), esc(pair), _f(x["icc1"]), _f(x["design_effect"], 2),
                             _f(x["naive_se"]), _f(x["cluster_robust_se"]),
                             esc(x.get("note", ""))])
        out.append(f"<h4>Clusters ({esc(c['column'])})</h4>" + _table(
            ["scale", "waves", "ICC(1) of change", "design effect", "naive SE", "cluster-robust SE",
             "note"], rows, 2))
    return "\n".join(out)


def _setting(value: Any) -> str:
    """A setting in words: nested lists for groups, no Python reprs."""
    if isinstance(value, dict):
        if not value:
            return "none"
        return "<ul>" + "".join(f"<li><b>{esc(str(k).replace('_', ' '))}</b>: {_setting(v)}</li>"
                                for k, v in value.items()) + "</ul>"
    if isinstance(value, (list, tuple)):
        return esc(", ".join(_plain(v) for v in value)) if value else "none"
    return esc(_plain(value))


def _plain(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def invariance_sample(inv: dict[str, Any]) -> str:
    """Who the invariance models were fitted on, in words, from what was done.

    >>> print(invariance_sample({"n": 90, "n_total": 93, "missing_rule": "listwise",
    ...     "dropped": {"not_at_every_wave": 3, "missing_answers": 0},
    ...     "incomplete_included": {}}))  # doctest: +NORMALIZE_WHITESPACE
    n = 90 of 93 persons: those who answered every item at every wave (listwise);
    left out: 3 not seen at every wave.
    """
    n, total = inv["n"], inv["n_total"]
    rule = inv.get("missing_rule", "")
    dropped = {k: v for k, v in (inv.get("dropped") or {}).items() if v}
    words = {"not_at_every_wave": "not seen at every wave",
             "missing_answers": "with an item missing", "no_answers": "without any answer"}
    if rule.startswith("full-information"):
        inc = inv.get("incomplete_included") or {}
        complete = n - sum(inc.values())
        parts = [f"{complete} answered every item at every wave"]
        if inc.get("not_at_every_wave"):
            parts.append(f"{inc['not_at_every_wave']} were not seen at every wave")
        if inc.get("missing_answers"):
            parts.append(f"{inc['missing_answers']} skipped some items")
        text = (f"n = {n} of {total} persons, by full-information ML: " + ", ".join(parts)
                + "; every answer given counts")
    elif rule.startswith("complete"):
        text = f"n = {n} persons, each with every item at every wave (complete data)"
    else:
        text = f"n = {n} of {total} persons: those who answered every item at every wave (listwise)"
    if dropped:
        text += "; left out: " + ", ".join(f"{v} {words.get(k, k.replace('_', ' '))}"
                                           for k, v in dropped.items())
    return text + "."


def _methods(res: dict[str, Any]) -> str:
    s = res["settings"]
    items = "".join(f"<li><b>{esc(k.replace('_', ' '))}</b>: {_setting(v)}</li>"
                    for k, v in s.items())
    return (f"<h2>Methods and settings</h2><ul>{items}</ul><p class=\"note\">Reliability, CFA and "
            "invariance statistics follow lavaan, semTools and psych, against which the package is "
            "tested (tests/reference/).</p>")
