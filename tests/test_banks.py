"""The bundled item banks and instruments load and validate; schema errors name the
file, the item and the field."""

from pathlib import Path

import pytest
import yaml

from instruments import Instrument, ItemBankError, bank_ids, instrument_ids, load_bank
from psychometrics.cli import main

EXPECTED_SUBSCALES = {
    "bpn": {"autonomy_satisfaction": 4, "autonomy_frustration": 4,
            "competence_satisfaction": 4, "competence_frustration": 4,
            "relatedness_satisfaction": 4, "relatedness_frustration": 4},
    "tse": {"tse_engagement": 4, "tse_instruction": 4, "tse_management": 4},
    "onion": {"onion_environment": 3, "onion_behaviour": 3, "onion_competencies": 3,
              "onion_beliefs": 3, "onion_identity": 3, "onion_mission": 3,
              "onion_restoring": 4},
}


def test_bundled_banks_and_instruments_are_found():
    assert bank_ids() == ["bpn", "onion", "tse"]
    assert instrument_ids() == ["bpn", "kvb", "onion", "tse"]


@pytest.mark.parametrize("bank_id", sorted(EXPECTED_SUBSCALES))
def test_each_bank_loads_with_its_subscales(bank_id):
    bank = load_bank(bank_id)
    counts = {s.id: sum(i.subscale == s.id for i in bank.items) for s in bank.subscales}
    assert counts == EXPECTED_SUBSCALES[bank_id]
    for item in bank.items:
        assert item.text.nl and item.text.en and item.text.nl != item.text.en
        assert item.rationale
    rs = bank.response_scale
    assert sorted(rs.labels) == list(range(rs.min, rs.max + 1))
    assert bank.provenance.constructs_from


def test_onion_layers_have_one_reversed_item_and_the_composites():
    bank = load_bank("onion")
    for layer in ("environment", "behaviour", "competencies", "beliefs", "identity", "mission"):
        items = [i for i in bank.items if i.subscale == f"onion_{layer}"]
        assert [i.keying for i in items] == ["+", "+", "-"]
    comps = {c.id: c for c in bank.composites}
    assert set(comps) == {"onion_alignment", "onion_alignment_spread"}
    assert comps["onion_alignment"].method == "mean"
    assert comps["onion_alignment_spread"].method == "sd"
    assert "onion_restoring" not in comps["onion_alignment"].scales


def test_item_ids_are_unique_across_banks():
    ids = [i.id for b in bank_ids() for i in load_bank(b).items]
    assert len(ids) == len(set(ids)) == 58


@pytest.mark.parametrize("name", ["bpn", "kvb", "onion", "tse"])
def test_each_bundled_instrument_resolves(name):
    inst = Instrument.load(name)
    banks = {"kvb": ["bpn", "tse", "onion"]}.get(name, [name])
    expected = {s: n for b in banks for s, n in EXPECTED_SUBSCALES[b].items()}
    assert {s.id: s.n_items for s in inst.scales} == expected
    assert all(s.n_required == -(-2 * s.n_items // 3) for s in inst.scales)


def _broken_bank(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load((Path(__file__).parents[1] / "item_banks" / "tse.yaml").read_text())
    edit(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["items"][2]["text"].pop("nl"), "item TSE03, field 'text.nl': required but missing"),
    (lambda d: d["items"][0].update(keyng="+"), "item TSE01, field 'keyng': unknown key (misspelled?)"),
    (lambda d: d["items"][4].update(keying="R"), "item TSE05, field 'keying': Input should be '+' or '-'"),
    (lambda d: d["items"][1].update(subscale="tse_nothing"),
     "item TSE02: subscale 'tse_nothing' is not one of"),
    (lambda d: d["items"][3].update(id="TSE01"), "duplicate item id: ['TSE01']"),
    (lambda d: d["response_scale"].update(min=8), "field 'response_scale': min must be below max"),
])
def test_schema_errors_name_file_item_and_field(tmp_path, edit, message):
    path = _broken_bank(tmp_path, edit)
    with pytest.raises(ItemBankError) as err:
        load_bank(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_user_instrument_errors(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("id: mine\nversion: 1\nscales:\n  a: {items: [X1, X2], reversed: [X3]}\n")
    with pytest.raises(ItemBankError) as err:
        Instrument.load(path)
    text = str(err.value)
    assert "mine.yaml" in text and "scale a" in text and "X3" in text
    path.write_text("id: mine\nversion: 1\nscales:\n  a: {items: [X1, X2]}\n")
    with pytest.raises(ItemBankError, match="no response_scale"):
        Instrument.load(path)
    path.write_text("id: mine\nversion: 1\nbanks: [tse]\nresponse_scale: {min: 1, max: 7}\n"
                    "scales:\n  b: {items: [TSE01, X2]}\n")
    with pytest.raises(ItemBankError, match=r"items \['TSE01'\] belong to more than one scale"):
        Instrument.load(path)
    path.write_text("id: mine\nversion: 1\nscales: [\n")
    with pytest.raises(ItemBankError, match="not valid YAML at line"):
        Instrument.load(path)


def test_banks_command_lists_everything(capsys):
    assert main(["banks"]) == 0
    out = capsys.readouterr().out
    for text in ("bpn v", "tse v", "onion v", "kvb v", "autonomy_frustration", "4 items",
                 "onion_mission", "1 reversed", "onion_alignment", "composite: mean of 6 scales",
                 "58 items"):
        assert text in out


def test_a_file_read_again_is_parsed_from_its_current_content_and_copied(tmp_path):
    # read_yaml caches by content: an edited file gives the new content, and a caller
    # that changes what it got does not change what the next caller gets.
    from instruments.banks import read_yaml
    path = tmp_path / "x.yaml"
    path.write_text("id: a\nitems: [1, 2]\n", encoding="utf-8")
    first = read_yaml(path)
    first["items"].append(3)
    assert read_yaml(path) == {"id": "a", "items": [1, 2]}
    path.write_text("id: b\nitems: [1, 2]\n", encoding="utf-8")
    assert read_yaml(path)["id"] == "b"
    path.write_text("id: b\nid: c\n", encoding="utf-8")
    with pytest.raises(ItemBankError, match="duplicate key 'id'"):
        read_yaml(path)
    with pytest.raises(ItemBankError, match="duplicate key 'id'"):  # errors are not cached away
        read_yaml(path)
