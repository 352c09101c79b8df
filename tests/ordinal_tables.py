"""lavaan's parTable (as make_ordinal.R writes it) as a binnenuit parameter table."""

import numpy as np
import pandas as pd


def from_lavaan_partable(path) -> pd.DataFrame:
    """Rows of every operator but ``==``; parameters joined by ``==`` rows share one
    ``free`` number (renumbered 1..q in order of first appearance); fixed rows keep
    lavaan's ``ustart`` as ``value``."""
    pt = pd.read_csv(path, keep_default_na=False)
    eq = pt[pt.op == "=="]
    pt = pt[pt.op != "=="].reset_index(drop=True)
    parent = {pl: pl for pl in pt.plabel}

    def root(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in zip(eq.lhs, eq.rhs):
        parent[root(b)] = root(a)
    free = pt.free.astype(int).to_numpy()
    number: dict[str, int] = {}
    out = np.zeros(len(pt), dtype=int)
    for k, (pl, f) in enumerate(zip(pt.plabel, free)):
        if f > 0:
            out[k] = number.setdefault(root(pl), len(number) + 1)
    value = pd.to_numeric(pt.ustart.replace({"NA": np.nan, "": np.nan}))
    return pd.DataFrame({"lhs": pt.lhs, "op": pt.op, "rhs": pt.rhs.astype(str),
                         "label": pt.label, "free": out,
                         "value": np.where(out > 0, np.nan, value.fillna(0.0))})
