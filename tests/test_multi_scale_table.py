"""multi_scale_table against the groupby formulation it replaced (a Python join per
group): same frame, dtypes included, with persons improving on several scales, on
none, and a second pair of waves."""

import pandas as pd

from instruments import Instrument
from psychometrics.pipeline import multi_scale_table


def _groupby_version(person: pd.DataFrame, inst) -> pd.DataFrame:
    bank_of = {s.id: (s.bank or "scales") for s in inst.scales}
    p = person.assign(bank=person["scale"].map(bank_of),
                      up=(person["rci_class"] == "improved").astype(int))
    keys = ["pair", "bank", "id"]
    out = p.groupby(keys, sort=False).agg(n_scales=("scale", "size"),
                                          n_improved=("up", "sum")).reset_index()
    names = p[p["up"] == 1].groupby(keys, sort=False)["scale"].agg(";".join).rename("improved")
    out = out.merge(names.reset_index(), on=keys, how="left").fillna({"improved": ""})
    return out[["id", "pair", "bank", "n_scales", "n_improved", "improved"]]


def test_multi_scale_table_equals_groupby_version():
    inst = Instrument.load("kvb")
    scales = [s.id for s in inst.scales][:6]
    classes = ["improved", "unchanged", "deteriorated", "improved", "improved", "unchanged"]
    rows = []
    for pair in ("T0->T1", "T1->T2"):
        for k, pid in enumerate(["p3", "p1", "p2", "p10"]):
            for j, s in enumerate(scales):
                cls = classes[(j + k) % len(classes)] if pid != "p2" else "unchanged"
                rows.append({"id": pid, "diff": 0.1 * j, "rci": 0.5 * j, "rci_class": cls,
                             "scale": s, "pair": pair})
    person = pd.DataFrame(rows).astype({"id": "str", "rci_class": "str", "scale": "str",
                                        "pair": "str"})
    ours = multi_scale_table(person, inst)
    pd.testing.assert_frame_equal(ours, _groupby_version(person, inst))
    assert (ours["improved"] == "").sum() >= 2 and ours["improved"].str.contains(";").any()
    none = person.assign(rci_class="unchanged")
    pd.testing.assert_frame_equal(multi_scale_table(none, inst), _groupby_version(none, inst))
