"""The report of the example study and the results.json schema."""

import json
import re
from importlib import resources

import jsonschema
import pytest

from psychometrics.cli import main


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run[0]


def test_results_json_is_valid_against_the_published_schema(demo):
    schema = json.loads(resources.files("psychometrics.schema").joinpath(
        "results.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads((demo / "results.json").read_text()), schema)


def test_schema_rejects_a_renamed_key(demo):
    schema = json.loads(resources.files("psychometrics.schema").joinpath(
        "results.schema.json").read_text())
    res = json.loads((demo / "results.json").read_text())
    res["scales"]["tse_engagement"]["reliability"]["T0"]["cronbach"] = \
        res["scales"]["tse_engagement"]["reliability"]["T0"].pop("alpha")
    with pytest.raises(jsonschema.ValidationError, match="'alpha' is a required property"):
        jsonschema.validate(res, schema)


def test_report_has_every_section_and_figure_and_no_external_reference(demo):
    text = (demo / "report.html").read_text(encoding="utf-8")
    headings = ["The data", "Scales", "The instrument", "Change across scales per person",
                'id="summary">Summary', "Methods and settings"]
    positions = [text.index(h if h.startswith("id=") else f"<h2>{h}</h2>") for h in headings]
    assert positions == sorted(positions)  # the pipeline's order, closing with the summary
    assert '<a href="#summary">' in text
    for caption in ("answers per item and wave", "scale scores across waves",
                    "Jacobson-Truax plot", "parallel analysis", "pattern loadings",
                    "reliable change per person and scale", "persons by number of onion scales"):
        assert caption in text, caption
    assert text.count("<svg") >= 16 * 3
    # Dutch item texts with --lang nl
    assert "Ik kan de wisselmomenten tussen lessen rustig laten verlopen." in text
    # Self-contained: no scripts, stylesheets, images or fonts from elsewhere.
    assert "<script" not in text
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', text)
    assert "@import" not in text and "url(http" not in text
    assert "Blocked by the invariance gate" in text


def test_tables_are_written_as_csv(demo):
    names = {p.name for p in (demo / "tables").iterdir()}
    assert {"reliability.csv", "items.csv", "cfa.csv", "invariance.csv", "change.csv",
            "multi_scale.csv"} <= names


def test_python_api_mirrors_the_command_line(tmp_path):
    import pandas as pd

    import psychometrics
    from psychometrics.example_study import EXAMPLE, example_data_path

    data = pd.read_csv(example_data_path())
    data = data[data["school"].isin(["S1", "S2", "S3"])]  # a smaller run
    data.to_csv(tmp_path / "part.csv", index=False)
    # jobs: the command line's default is "auto", the API's 1 (a library call starts no
    # processes unless asked); the results are the same, the settings record it
    result = psychometrics.validate(data, "tse", id_column=EXAMPLE.id_column,
                                    wave_column=EXAMPLE.wave_column, jobs="auto")
    written = result.write(tmp_path / "api", report=False)
    assert "report" not in written and (tmp_path / "api" / "results.json").is_file()
    assert main(["validate", str(tmp_path / "part.csv"), "--instrument", "tse", "--id", "teacher",
                 "--wave", "wave", "--out", str(tmp_path / "cli"), "--quiet", "--no-report"]) == 0
    api = result.to_dict()
    cli = json.loads((tmp_path / "cli" / "results.json").read_text())
    api["data"]["source"] = cli["data"]["source"]  # a DataFrame has no file name
    api["data"]["read_as"] = cli["data"]["read_as"]
    assert json.loads(json.dumps(api)) == cli
    assert 'id="summary">Summary</h2>' in result.report_html()


def test_demo_runs_the_district_grouping(demo):
    """The example study's two halves of the schools (column district): invariance across
    districts x waves per scale, latent district differences and change by district."""
    res = json.loads((demo / "results.json").read_text())
    assert res["data"]["groups"] == ["D1", "D2"]
    assert res["data"]["persons_per_group"] == {"D1": 43, "D2": 50}
    levels = {}
    for scale, d in res["scales"].items():
        gi = d["group_invariance"]
        levels[scale] = gi["level"]
        assert gi["groups"] == ["D1", "D2"] and gi["waves"] == ["T0", "T1"]
        if gi["level"] in ("partial_scalar", "scalar", "partial_strict", "strict"):
            assert set(gi["latent_mean_diff_std"]["D2"]) == {"T0", "T1"}
            c = d["change_by_group"]["T0->T1"]
            assert c["status"] == "ok" and set(c["groups"]) == {"D1", "D2"}
            diff = c["difference"]["D2"]
            assert diff["reference"] == "D1" and diff["welch_df"] > 0
        else:
            assert d["change_by_group"]["T0->T1"]["status"] == "blocked"
    # no group difference in the population: most scales reach (partial) scalar
    assert sum(v in ("partial_scalar", "scalar", "partial_strict", "strict")
               for v in levels.values()) >= len(levels) - 3, levels
    html = (demo / "report.html").read_text()
    assert "Invariance across groups &times; waves" in html
    assert "Latent group differences" in html and "Change by group, T0-&gt;T1" in html


def test_multi_layer_draws_one_band_per_run_of_equal_classes():
    """Persons sorted by scales improved, then by pattern: equal patterns are one band
    per column, so the figure's size follows the patterns, not the persons."""
    import pandas as pd

    from psychometrics.report.figures import multi_layer

    pattern = {"a": ["improved", "unchanged", "improved", "deteriorated", "unchanged"],
               "b": ["improved", "unchanged", "unchanged", "unchanged", "unchanged"]}
    rows = [{"id": f"p{i}", "scale": s, "rci_class": pattern[s][i % 5]}
            for i in range(20_000) for s in ("a", "b")]
    svg = multi_layer(pd.DataFrame(rows), ["a", "b"], ["A", "B"])
    # rows sorted: (imp, imp) x4000, (imp, unch) x4000, then (unch, unch) x8000,
    # (det, unch) x4000: column a has 3 runs, column b 2; plus the 3 legend keys
    assert svg.count("<rect") == 3 + 2 + 3
    assert "persons (n = 20000)" in svg
    assert len(svg) < 10_000


def test_jacobson_truax_clip_id_is_the_same_in_every_run_and_follows_the_data():
    """A report of the same data is the same file: the band's clip id comes from the
    figure's data (it was a memory address, which another process does not share);
    figures of other data get other ids."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _JACOBSON_TRUAX_FIGURES], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    one, other = out[0].split(), out[1].split()
    assert out[0] == _jacobson_truax_clip_ids()[0]  # another process, the same figure
    defined, used = one
    assert defined == used and re.fullmatch(r"jt[0-9a-f]{12}", defined)
    assert other[0] != defined


_JACOBSON_TRUAX_FIGURES = """
import re
import numpy as np
from psychometrics.report.figures import jacobson_truax
rng = np.random.default_rng(1)
before, after = rng.uniform(1, 5, 50), rng.uniform(1, 5, 50)
classes = np.array(["improved", "unchanged"] * 25)
for b, a in ((before, after), (before, after[::-1].copy())):
    svg = jacobson_truax(b, a, classes, 0.8, 1, 5, ("T0", "T1"))
    print(*re.findall(r'<clipPath id="([^"]+)"', svg), *re.findall(r'url\\(#([^)]+)\\)', svg))
"""


def _jacobson_truax_clip_ids() -> list[str]:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(_JACOBSON_TRUAX_FIGURES, {})  # the same code in this process
    return buffer.getvalue().splitlines()
