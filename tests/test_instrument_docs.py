"""docs/instrument_file.md names every key of the instrument and bank files, and its
example files load (issue 18)."""

import re
from pathlib import Path

import pytest
import yaml

from instruments import Instrument, _schema, load_bank
from instruments.errors import ItemBankError

DOCS = Path(__file__).resolve().parents[1] / "docs"
SPECS = [_schema.InstrumentSpec, _schema.ScaleSpec, _schema.ResponseScaleSpec,
         _schema.CompositeSpec, _schema.BankSpec, _schema.SubscaleSpec, _schema.ItemSpec,
         _schema.GeneralFactorSpec, _schema.Provenance, _schema.Text]


def test_every_key_of_the_schema_is_documented():
    page = (DOCS / "instrument_file.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", page, flags=re.M))
    keys = {f.alias or name for spec in SPECS for name, f in spec.model_fields.items()}
    assert keys - documented == set()
    assert documented - keys == set()  # and nothing that is not a key
    assert "higher_is_better" in keys and "languages" in keys


def test_the_example_files_load(monkeypatch):
    inst = Instrument.from_file(DOCS / "examples" / "my-instrument.yaml")
    worry = inst.scale("worry")
    assert (worry.min, worry.max, worry.higher_is_better, worry.n_required) == (0, 4, False, 3)
    assert inst.scale("involvement").n_required == 3 and inst.scale("involvement").reversed == ("inv3",)
    bank = load_bank(DOCS / "examples" / "my_bank.yaml")
    assert [s.id for s in bank.subscales] == ["energy", "strain"]
    monkeypatch.chdir(DOCS.parent)  # a bank of one's own is included by its path
    both = Instrument.from_dict({"id": "x", "version": "1",
                                 "banks": ["docs/examples/my_bank.yaml"]})
    assert both.scale("strain").higher_is_better is False
    assert both.items_by_id["EN3"].reversed
    assert [c.id for c in both.composites] == ["energy_balance"]
    assert [g.id for g in both.general_factors] == ["wellbeing"]


def test_the_yaml_snippets_of_the_page_parse():
    page = (DOCS / "instrument_file.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", page, flags=re.S)
    assert len(blocks) == 2
    Instrument.from_dict(yaml.safe_load(blocks[1]))


def test_an_item_may_not_look_like_a_generated_factor():
    with pytest.raises(ItemBankError, match="must not be empty or start with a dot"):
        Instrument.from_dict({"id": "x", "version": "1", "response_scale": {"min": 1, "max": 5},
                              "scales": {"a": {"items": [".a", "b", "c"]}}})
