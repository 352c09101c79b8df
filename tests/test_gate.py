"""The invariance gate: no change score where the measurement is not invariant."""

import json

import numpy as np
from simulate import longitudinal_scale

from psychometrics.cli import main

INSTRUMENT = """id: gate
version: "1"
response_scale: {min: 1, max: 7}
scales:
  s: {items: [x1, x2, x3]}
"""


def _files(tmp_path):
    data = longitudinal_scale(400, ("T0", "T1"), loadings=[0.9, 0.8, 0.8], intercepts=[4.0, 4.2, 3.8],
                              residuals=[0.4, 0.5, 0.5], means=[0, 0.3], variances=[1, 1],
                              drift={(0, "T1"): 0.5, (1, "T1"): -0.5}, seed=11)
    data[["x1", "x2", "x3"]] = np.clip(np.rint(data[["x1", "x2", "x3"]]), 1, 7)
    path = tmp_path / "drift.csv"
    data.to_csv(path, index=False)
    inst = tmp_path / "gate.yaml"
    inst.write_text(INSTRUMENT)
    return str(path), str(inst)


def test_change_is_blocked_when_scalar_invariance_fails(tmp_path):
    data, inst = _files(tmp_path)
    out = tmp_path / "out"
    assert main(["validate", data, "--instrument", inst, "--wave", "wave", "--out", str(out),
                 "--quiet"]) == 0
    res = json.loads((out / "results.json").read_text())["scales"]["s"]
    assert res["invariance"]["level"] in ("metric", "partial_metric")
    change = res["change"]["T0->T1"]
    assert change["status"] == "blocked"
    assert "scalar invariance was rejected" in change["reason"]
    assert "p(delta chi2)" in change["reason"]
    assert all(change[k] is None for k in ("mean_diff", "t", "p", "d_z", "d_av", "rci_improved"))
    assert not (out / "change.csv").exists()


def test_ignore_invariance_gives_unverified_change(tmp_path):
    data, inst = _files(tmp_path)
    out = tmp_path / "out"
    assert main(["validate", data, "--instrument", inst, "--wave", "wave", "--out", str(out),
                 "--ignore-invariance", "--quiet"]) == 0
    res = json.loads((out / "results.json").read_text())
    change = res["scales"]["s"]["change"]["T0->T1"]
    assert change["status"] == "unverified" and change["unverified"] is True
    assert change["reason"].startswith("unverified: computed with --ignore-invariance")
    assert change["n"] == 400 and change["mean_diff"] is not None
    assert change["latent"] is None
    assert res["settings"]["change"]["ignore_invariance"] is True
