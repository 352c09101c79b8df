"""Measurement invariance across groups (one wave) and across groups x waves.

The same sequence as across waves (:mod:`psychometrics.invariance`: configural ->
metric -> scalar -> strict, the same steps, fields, decision rules and partial search)
on a multi-group model (lavaan's ``group =``, :mod:`psychometrics.sem.multigroup`):
one model per group, equalities by shared labels. With one wave this is
``semTools::measEq.syntax(ID.fac = "std.lv", group = ..., group.equal = ...)``; with
several waves the longitudinal model is fitted in every group and each step imposes
its equalities across groups and waves together (``group.equal`` and ``long.equal``
the same), so the metric of every (group, wave) is common and a difference in change
between groups is a comparison on one scale.

Identification (std.lv): the first group's (first wave's) factor has variance 1 and
mean 0; configural: every factor variance 1 and mean 0; metric frees the other
variances, scalar the other means. The first group in ``groups`` is the reference.
A release in the partial search is one parameter in one group (and wave): the
constraint with the largest score test among every (group, wave) but the reference's;
an item may be released in several (group, wave) cells (a drift over time that all
groups share needs one release per group), and the search stops before fewer than two
items would keep every cell constrained.

``latent_mean_diff_std``: for each later group g and wave w, the difference in latent
mean from the reference group in the reference group's latent SD at that wave,
``(alpha_gw - alpha_1w) / sqrt(psi_1w)``, from the (partial) scalar model, with a
delta-method SE (as lavaan's ``:=``) and a 95% Wald CI. With one wave the key is the
wave label (``"all"`` with no wave column).

Groups too small for their model are refused per scale, with a reason: fewer persons in
a group than the configural model's free parameters per group, or an item without
variance (or answered fewer than twice) in a group.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from psychometrics.decision_rules import DEFAULT_RULE, RULES, Rule, rule_details
from psychometrics.invariance import (
    InvarianceResult,
    LatentMeanChange,
    _column_label,
    _Common,
    _Context,
    _sequence,
    column,
    factor_name,
    model_rows,
    select_cases,
    warn_result,
)
from psychometrics.noninvariance import NonInvariance, dmacs, pooled_sd
from psychometrics.results import Interval
from psychometrics.sem import (
    GroupMoments,
    MLFit,
    Moments,
    PatternMoments,
    build_table,
    covariance_problem,
)

if TYPE_CHECKING:
    from instruments.responses import Responses

_Z = 1.959963984540054


def group_invariance(
    frame: pd.DataFrame, scale: str, items: Sequence[str], waves: Sequence[str],
    groups: Sequence[str], *, rule: Rule = DEFAULT_RULE, partial: bool = True,
    missing: Literal["fiml", "listwise"] = "fiml", seed: int = 0,
    standard_errors: bool = True,
) -> InvarianceResult:
    """Invariance of one scale across ``groups`` (the first the reference), at one wave
    or across groups x ``waves`` together.

    ``frame`` is long: columns ``id``, ``wave``, ``group`` and the scale's keyed items;
    a person's group is the same at every wave (checked: ``ValueError`` naming the
    person). The models are ``semTools::measEq.syntax(ID.fac = "std.lv", group = ...)``
    (with ``longFacNames`` over waves): the reference group's factor variance 1 and
    mean 0 at the first wave, equalities across groups and waves together; releases of
    the partial search are per group (and wave).

    In R: ``semTools::measEq.syntax(..., group = "group", group.equal = ...,
    long.equal = ...)`` fitted by ``lavaan``, then ``lavaan::lavTestLRT``.

    Parameters
    ----------
    frame : DataFrame
        Long: ``id``, ``wave``, ``group`` and one column per item (keyed).
    scale : str
    items : sequence of str
    waves : sequence of str
        One wave (invariance across groups) or several (groups x waves).
    groups : sequence of str
        The groups, the reference first.
    rule, partial, missing, seed, standard_errors
        As :func:`~psychometrics.invariance.longitudinal_invariance`.

    Returns
    -------
    InvarianceResult
        With ``groups``, ``n_per_group`` and ``latent_mean_diff_std`` as
        ``{group: {wave: change}}``: each later group minus the reference group, in
        the reference group's latent SD.

    Raises
    ------
    ValueError
        ``rule`` is not one of its values, or a person's group differs between waves.

    References
    ----------
    Millsap, R. E. (2011). Statistical approaches to measurement invariance. Routledge.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from psychometrics import group_invariance
    >>> rng = np.random.default_rng(3)
    >>> frames = []
    >>> for g, shift in (("A", 0.0), ("B", 0.5)):
    ...     f = rng.standard_normal(250) + shift
    ...     x = 0.8 * f[:, None] + 0.6 * rng.standard_normal((250, 4)) + 3.0
    ...     d = pd.DataFrame(x, columns=["x1", "x2", "x3", "x4"])
    ...     frames.append(d.assign(id=[f"{g}{i}" for i in range(250)], wave="T0", group=g))
    >>> res = group_invariance(pd.concat(frames, ignore_index=True), "f",
    ...                        ["x1", "x2", "x3", "x4"], ["T0"], ["A", "B"])
    >>> res.level, round(float(res.latent_mean_diff_std["B"]["T0"].estimate), 2)
    ('strict', 0.47)
    """
    if rule not in RULES:
        raise ValueError(f"The 'rule' parameter must be one of {', '.join(RULES)}. "
                         f"Got {rule!r} instead.")
    prepared = _prepare_groups(frame, scale, tuple(items), tuple(waves),
                               tuple(str(g) for g in groups), rule, missing, seed)
    result = (prepared if isinstance(prepared, InvarianceResult)
              else _sequence(prepared, rule, partial, standard_errors))
    warn_result(result, f"invariance of scale {scale} across groups")
    return result


def group_of_persons(frame: pd.DataFrame) -> pd.Series:
    """Each person's group (``frame``: columns ``id``, ``group``); ``ValueError`` naming
    the first person whose group differs between waves, and the values."""
    labels = frame[["id", "group"]].drop_duplicates()
    clash = labels["id"].duplicated(keep=False)
    if clash.any():
        first = labels.loc[clash, "id"].iloc[0]
        values = sorted(map(str, labels.loc[labels["id"] == first, "group"]))
        raise ValueError(f"person {first} is in more than one group between waves: "
                         f"{', '.join(values)}; a person's group must be the same at every wave")
    return labels.set_index("id")["group"].astype(str)


def _prepare_groups(frame: pd.DataFrame, scale: str, items: tuple[str, ...],
                    waves: tuple[str, ...], groups: tuple[str, ...], rule: str, missing: str,
                    seed: int) -> _Context | InvarianceResult:
    """The multi-group context of one scale, or the result that says why not."""
    group_of = group_of_persons(frame)
    wide, used, fiml, cases = select_cases(frame, items, waves, missing)
    member = group_of.reindex(used.index)
    n_per_group = {g: int((member == g).sum()) for g in groups}
    base = _Common(scale, rule, "independence", waves, items, cases, rule_details(rule, seed),
                   groups=groups, n_per_group=n_per_group)

    def refuse(status: str, reason: str) -> InvarianceResult:
        return base.result(status, reason)

    if len(groups) < 2:
        return refuse("single_group", "invariance across groups needs at least two groups")
    if len(items) < 3:
        return refuse("not_identified", f"{len(items)} items: a factor needs at least 3")
    per_group = _free_per_group(scale, items, waves)
    small = [f"{g} ({n})" for g, n in n_per_group.items() if n < max(per_group, 2)]
    if small:
        return refuse("too_few_cases", f"groups with fewer persons than the {per_group} free "
                      f"parameters per group of the configural model: {', '.join(small)}")
    parts: list[Moments | PatternMoments] = []
    for g in groups:
        part = used[(member == g).to_numpy()]
        counts, var = part.notna().sum(), part.var(ddof=0)
        thin = [c for c in part.columns if counts[c] < 2 or not var[c] > 0]
        if thin:
            return refuse("no_variance", f"no variance to model in group {g}: "
                          f"{', '.join(_column_label(c, items, waves) for c in thin)} "
                          "(unanswered, answered once, or answered the same by everyone)")
        moments: Moments | PatternMoments
        if fiml:
            moments = PatternMoments.from_data(part)
            if moments.em_status != "ok":
                return refuse("not_positive_definite", f"group {g}: the unrestricted model "
                              "could not be estimated with missing answers "
                              f"(EM: {moments.em_status})")
        else:
            moments = Moments.from_data(part)
        problem = covariance_problem(moments.cov, moments.names)
        if problem is not None:
            return refuse(problem[0], f"group {g}: {problem[1]}")
        parts.append(moments)
    gm = GroupMoments(tuple(parts), groups)
    return _Context(scale, items, waves, wide, used, gm, fiml, base, None, (), seed,
                    groups=groups, group_of=member,
                    latent=lambda fit: latent_differences(fit, scale, waves, groups))


def _free_per_group(scale: str, items: Sequence[str], waves: Sequence[str]) -> int:
    """Free parameters of one group in the configural model."""
    return int(build_table(model_rows(scale, items, waves, "configural"))["free"].max())


def latent_differences(fit: MLFit, scale: str, waves: Sequence[str],
                       groups: Sequence[str]) -> dict[str, dict[str, LatentMeanChange]]:
    """``(alpha_gw - alpha_1w) / sqrt(psi_1w)`` per later group g and wave w, with a
    delta-method SE from the covariance of the estimates (``H^-1 2 / N``)."""
    t = fit.table
    cov = _cov_theta(fit)
    position: dict[tuple[int, str, str, str], int] = {}
    for k, key in enumerate(zip(t["group"].tolist(), t["lhs"].tolist(), t["op"].tolist(),
                                t["rhs"].tolist())):
        position.setdefault(key, k)  # the first row of each (rows are unique)

    def row(g: int, lhs: str, op: str, rhs: str = "") -> int:
        return position[(g, lhs, op, rhs)]

    est, free = t["est"].to_numpy(dtype=float), t["free"].to_numpy(dtype=int)
    out: dict[str, dict[str, LatentMeanChange]] = {}
    for g, label in enumerate(groups[1:], start=2):
        out[label] = {}
        for w in waves:
            f = factor_name(scale, w)
            a_g, a_1, v_1 = row(g, f, "~1"), row(1, f, "~1"), row(1, f, "~~", f)
            diff, psi = est[a_g] - est[a_1], est[v_1]
            value = diff / math.sqrt(psi)
            grad = np.zeros(fit.npar)
            for r, d in ((a_g, 1 / math.sqrt(psi)), (a_1, -1 / math.sqrt(psi)),
                         (v_1, -diff / (2 * psi ** 1.5))):
                if free[r] > 0:
                    grad[free[r] - 1] += d
            se = math.sqrt(max(float(grad @ cov @ grad), 0.0)) if cov is not None else math.nan
            out[label][w] = LatentMeanChange(w, value, se, Interval(value - _Z * se,
                                                                    value + _Z * se))
    return out


def group_noninvariance_sizes(ctx: _Context, fit: MLFit,
                              released: Sequence[tuple[str, ...]]) -> tuple[NonInvariance, ...]:
    """dMACS and mean bias of each released loading and intercept: the focal group
    against the reference group at the same wave (the formulas of
    :mod:`psychometrics.noninvariance`, with the groups in the place of the waves)."""
    est = {(int(r.group), r.lhs, r.op, r.rhs): r.est for r in fit.table.itertuples(index=False)}
    number = {g: k for k, g in enumerate(ctx.groups, start=1)}
    kinds: dict[tuple[str, str, str], set[str]] = {}
    for kind, item, wave, group in released:
        if kind in ("loading", "intercept"):
            kinds.setdefault((item, wave, group), set()).add(kind)
    member = ctx.group_of
    assert member is not None  # a context across groups knows each person's group
    out = []
    for (item, wave, group), what in kinds.items():
        g, f, c = number[group], factor_name(ctx.scale, wave), column(item, wave)
        d_l = est[(g, f, "=~", c)] - est[(1, f, "=~", c)]
        d_n = est[(g, c, "~1", "")] - est[(1, c, "~1", "")]
        x = ctx.used[c]
        size, bias = dmacs(d_n, d_l, est[(g, f, "~1", "")], est[(g, f, "~~", f)],
                           pooled_sd(x[(member == ctx.groups[0]).to_numpy()].to_numpy(float),
                                     x[(member == group).to_numpy()].to_numpy(float)))
        out.append(NonInvariance(item, wave, "+".join(sorted(what, reverse=True)), size, bias,
                                 d_l, d_n, group=group))
    return tuple(sorted(out, key=lambda x: (number[x.group], ctx.waves.index(x.wave),
                                            ctx.items.index(x.item))))


def _cov_theta(fit: MLFit) -> np.ndarray | None:
    H = fit.information
    if not np.all(np.isfinite(H)) or not np.isfinite(fit.table["se"]).all():
        return None
    return np.linalg.inv(H) * 2.0 / fit.n


def order_groups(labels: Iterable[object]) -> tuple[str, ...]:
    """Group labels sorted: numbers numerically (``2`` before ``10``), then text.

    >>> order_groups(["10", "2", "b", "a"])
    ('2', '10', 'a', 'b')
    """
    def key(label: str) -> tuple[int, float, str]:
        try:
            number = float(label)
        except ValueError:
            return (1, 0.0, label)
        return (0, number, label) if math.isfinite(number) else (1, 0.0, label)
    return tuple(sorted(set(map(str, labels)), key=key))


def person_groups(responses: Responses, column: str,
                  order: Sequence[str] | None = None) -> tuple[pd.Series, tuple[str, ...]]:
    """Each scored row's group (from the column ``column`` of the input) and the groups
    in order (``order``, else :func:`order_groups`; the first is the reference).

    Raises ``ResponseError`` naming the file, row, column and value for an empty group
    cell; naming the person and the values for a person whose group differs between
    waves; listing the labels found when ``order`` does not name each exactly once, or
    when there are fewer than two groups.
    """
    from instruments.errors import ResponseError

    src = responses.source
    if column not in responses.extra.columns:
        raise ResponseError(f"{src}: there is no group column '{column}'. Other columns: "
                            f"{', '.join(map(str, responses.extra.columns)) or 'none'}.")
    raw = responses.extra[column]
    text = raw.astype(str).str.strip()
    empty = raw.isna().to_numpy() | (text == "").to_numpy()
    if empty.any():
        rows = responses.keys["row"].to_numpy()[empty]
        shown = ", ".join(str(r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
        raise ResponseError(f"{src}: row(s) {shown}, column '{column}': no group label (empty "
                            "cell); every scored row needs its group")
    labels = text.reset_index(drop=True)
    keys = responses.keys.reset_index(drop=True)
    pairs = pd.DataFrame({"id": keys["id"], "wave": keys["wave"], "group": labels})
    per_person = pairs.groupby("id", sort=False)["group"].nunique()
    clash = per_person[per_person > 1]
    if len(clash):
        who = clash.index[0]
        seen = pairs[pairs["id"] == who]
        values = "; ".join(f"'{g}' at wave {w}" for w, g in zip(seen["wave"], seen["group"]))
        raise ResponseError(f"{src}: column '{column}': person {who} is in more than one group "
                            f"between waves ({values}); a person's group must be the same at "
                            f"every wave" + (f" ({len(clash)} persons in all)"
                                             if len(clash) > 1 else ""))
    found = order_groups(labels)
    if order is not None:
        order = tuple(order)
        if sorted(order) != sorted(found):
            raise ResponseError(f"{src}: --group-order must name each group of column "
                                f"'{column}' once. Found: {', '.join(found)}; got: "
                                f"{', '.join(order)}.")
        found = order
    if len(found) < 2:
        raise ResponseError(f"{src}: column '{column}' has one group ({', '.join(found)}): "
                            "invariance across groups needs at least two")
    return labels, found
