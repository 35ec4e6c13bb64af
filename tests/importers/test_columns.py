"""Column mappings: an unknown CRM's export read through a team's own mapping, set once
and kept in the store; errors that name the file's real headers and the closest one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.csvfiles import deals_csv
from walkaway.cli import app
from walkaway.errors import InputError
from walkaway.importers.columns import (
    ColumnMap,
    closest_header,
    parse_map_options,
    read_mapping_file,
)
from walkaway.importers.inspect import inspect_file
from walkaway.service import import_files, list_deals
from walkaway.service.mappings import saved_column_maps
from walkaway.store import Store

SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "shapes"
ZOHO = SHAPES / "zoho_deals.csv"
ZOHO_MAP = [
    "deal_id=Record Id",
    "created_at=Created Time",
    "owner=Deal Owner",
    "close_date=Closing Date",
    "outcome=Deal Status Code=Won:won,Lost:lost,*:open",
]


def _deals(store: Store) -> dict[str, dict[str, object]]:
    return {row["deal_id"]: row for row in list_deals(store).to_dicts()}


def test_an_unknown_crm_is_refused_with_the_way_to_map_it(sqlite_store: Store) -> None:
    with pytest.raises(InputError, match="cannot tell which export") as caught:
        import_files(sqlite_store, ZOHO)
    assert "--map COLUMN=HEADER" in str(caught.value) and "--inspect" in str(caught.value)


def test_a_missing_column_names_the_real_headers_and_the_closest(sqlite_store: Store) -> None:
    with pytest.raises(InputError) as caught:
        import_files(sqlite_store, ZOHO, format="generic")
    line = str(caught.value)
    assert "missing required column(s) 'deal_id', 'created_at'" in line
    assert "the file has: Record Id, Deal Name, Account Name, Deal Owner, Stage, Amount" in line
    assert "deal_id: did you mean 'Record Id'? use --map deal_id=\"Record Id\"" in line
    assert "created_at: did you mean 'Created Time'?" in line


def test_the_file_has_lists_only_what_the_file_has(sqlite_store: Store, tmp_path: Path) -> None:
    good = deals_csv(tmp_path, ["D1,Acme,Acme,Ana,Demo,100,2026-01-05,,open"])
    with pytest.raises(InputError) as caught:
        import_files(sqlite_store, good, format="hubspot")
    listed = str(caught.value).split("the file has: ")[1].split(";")[0]
    assert listed == "deal_id, name, account, owner, stage, amount, created_at, closed_at, outcome"


def test_a_mapped_unknown_crm_lands_and_the_next_import_needs_nothing(store: Store) -> None:
    first = import_files(store, ZOHO, column_map=parse_map_options(ZOHO_MAP))
    assert first.deals_new == 4
    assert any("column mapping saved" in note for note in first.notes)
    deals = _deals(store)
    assert deals["zcrm_5003"]["outcome"] == "won"
    assert deals["zcrm_5004"]["outcome"] == "lost"
    assert deals["zcrm_5001"]["outcome"] == "open"
    assert str(deals["zcrm_5003"]["closed_at"]).startswith("2026-08-30")
    assert deals["zcrm_5003"]["expected_close"] is None
    assert str(deals["zcrm_5001"]["expected_close"]) == "2026-12-20"
    assert deals["zcrm_5001"]["closed_at"] is None
    assert deals["zcrm_5002"]["owner"] == "Ben Okafor"
    assert deals["zcrm_5001"]["amount"] == 12000.0
    assert json.loads(str(deals["zcrm_5001"]["attributes"]))["lead_source"] == "Web"
    again = import_files(store, ZOHO)
    assert again.deals_unchanged == 4 and again.deals_new == 0
    assert any("read with the column mapping saved" in note for note in again.notes)
    (saved,) = saved_column_maps(store)
    assert saved.format == "generic" and saved.rules["created_at"].header == "Created Time"


def test_a_mapping_file_reads_as_the_options_do(sqlite_store: Store) -> None:
    from_file = read_mapping_file(SHAPES / "zoho_mapping.toml")
    assert from_file == parse_map_options(ZOHO_MAP)
    assert import_files(sqlite_store, ZOHO, column_map=from_file).deals_new == 4


def test_a_known_crm_export_of_another_shape_is_mapped_onto_its_format(
    sqlite_store: Store,
) -> None:
    export = SHAPES / "salesforce_second_export.csv"
    with pytest.raises(InputError, match="cannot tell which export"):
        import_files(sqlite_store, export)
    column_map = parse_map_options(["amount=Net Amount"])
    first = import_files(sqlite_store, export, format="salesforce", column_map=column_map)
    assert first.format == "salesforce" and first.deals_new == 3
    deals = _deals(sqlite_store)
    globex = deals["0065g00000AbCdEAAA"]
    assert globex["amount"] == 21500.0 and globex["outcome"] == "open"
    assert json.loads(str(globex["attributes"]))["acv"] == "24000"
    assert deals["0065g00000AbCdFAAA"]["outcome"] == "won"
    again = import_files(sqlite_store, export)  # no --format, no --map: the saved one
    assert again.format == "salesforce" and again.deals_unchanged == 3


def test_a_mapped_header_the_file_lacks_is_one_line(sqlite_store: Store) -> None:
    column_map = parse_map_options(["created_at=Created Tme"])
    with pytest.raises(InputError) as caught:
        import_files(sqlite_store, ZOHO, column_map=column_map)
    assert "reads created_at from 'Created Tme', which the file does not have" in str(caught.value)
    assert "(did you mean 'Created Time'?)" in str(caught.value)
    assert list_deals(sqlite_store).height == 0 and saved_column_maps(sqlite_store) == []


def test_a_refused_mapped_import_keeps_no_mapping(sqlite_store: Store, tmp_path: Path) -> None:
    text = ZOHO.read_text().replace('"4,500.00"', "lots")
    broken = tmp_path / "zoho.csv"
    broken.write_text(text)
    with pytest.raises(InputError):
        import_files(sqlite_store, broken, column_map=parse_map_options(ZOHO_MAP))
    assert saved_column_maps(sqlite_store) == []


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["created=Created Time"], "'created' is not a Walkaway deal column (did you mean"),
        (["created_at"], "expected COLUMN=HEADER"),
        (["outcome=Status=Won"], "is not a value map"),
        (["stage="], "the header to read stage from is empty"),
    ],
)
def test_a_bad_map_option_is_one_line(options: list[str], said: str) -> None:
    with pytest.raises(InputError, match="--map") as caught:
        parse_map_options(options)
    assert said in str(caught.value) and "\n" not in str(caught.value)


def test_a_value_map_matches_loosely_and_keeps_what_it_does_not_name() -> None:
    column_map = parse_map_options(["outcome=Status= won :won,Lost:lost"])
    assert column_map is not None
    rule = column_map.rules["outcome"]
    assert dict(rule.values) == {"won": "won", "Lost": "lost"}
    assert ColumnMap.from_json(column_map.to_json()) == column_map


@pytest.mark.parametrize(
    ("target", "headers", "closest"),
    [
        ("created_at", ["Deal Name", "Created Time"], "Created Time"),
        ("deal_id", ["Deal Name", "Record Id"], "Record Id"),
        ("amount", ["ID", "ACV", "Net Amount"], "ACV"),
        ("outcome", ["Stage", "Deal Status Code"], "Deal Status Code"),
        ("stage", ["Owner", "Amount"], None),
    ],
)
def test_the_closest_header(target: str, headers: list[str], closest: str | None) -> None:
    assert closest_header(target, headers) == closest


def test_inspect_shows_matches_samples_and_what_is_missing() -> None:
    found = inspect_file(ZOHO)
    assert found.format is None and "--map" in found.note
    by_header = {m.header: m for m in found.matches}
    assert by_header["Amount"].column == "amount"
    assert by_header["Created Time"].column is None
    assert by_header["Deal Status Code"].samples == ("Open", "Won", "Lost")
    missing = {m.column: m.closest for m in found.missing}
    assert missing == {
        "deal_id": "Record Id",
        "created_at": "Created Time",
        "outcome": "Deal Status Code",
    }
    mapped = inspect_file(ZOHO, column_map=parse_map_options(ZOHO_MAP))
    assert mapped.format == "generic" and mapped.missing == ()
    by_header = {m.header: m for m in mapped.matches}
    assert (by_header["Created Time"].column, by_header["Created Time"].how) == (
        "created_at",
        "--map",
    )


def test_import_inspect_on_the_command_line_imports_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    db = tmp_path / "team.db"
    result = runner.invoke(app, ["import", "--inspect", str(ZOHO), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "missing: created_at (required): did you mean 'Created Time'?" in result.stdout
    assert not db.exists()
    args = ["import", str(ZOHO), "--db", str(db)]
    for option in ZOHO_MAP:
        args += ["--map", option]
    assert runner.invoke(app, args).exit_code == 0
    plain = runner.invoke(app, ["import", "--inspect", str(ZOHO), "--db", str(db)])
    assert "read as generic with the saved mapping" in plain.stdout
    assert "nothing missing" in plain.stdout


def test_a_known_export_renamed_and_mapped_lands_as_the_export_itself(
    tmp_path: Path,
) -> None:
    """One mechanism: a Salesforce report whose id, amount and close date headers a team
    renamed, read through --map, goes through Salesforce's own built-in mapping and steps
    (stages to outcomes, the close date split, 15-digit ids) and lands as the original."""
    from walkaway.store import open_store

    original = Path(__file__).resolve().parents[1] / "fixtures" / "salesforce" / "opportunities.csv"
    text = original.read_text(encoding="utf-8-sig")
    header, _, rows = text.partition("\n")
    renamed = header.replace('"Opportunity ID (18 Digit)"', '"Opp Ref"')
    renamed = renamed.replace('"Amount"', '"Net Amount"').replace('"Close Date"', '"Decision"')
    assert renamed != header
    mapped_file = tmp_path / "renamed.csv"
    mapped_file.write_text(renamed + "\n" + rows, encoding="utf-8")
    column_map = parse_map_options(["deal_id=Opp Ref", "amount=Net Amount", "close_date=Decision"])
    fields = ["deal_id", "outcome", "amount", "currency", "created_at", "closed_at"]
    fields += ["expected_close", "loss_reason", "stage"]
    landed = []
    for path, given in ((original, None), (mapped_file, column_map)):
        store = open_store(f"sqlite:///{tmp_path / (path.stem + '.db')}")
        try:
            import_files(store, path, format="salesforce", column_map=given)
            landed.append(list_deals(store).select(fields).sort("deal_id").rows())
        finally:
            store.close()
    assert landed[0] == landed[1]
    assert len(landed[0]) == 5 and {row[1] for row in landed[0]} == {"won", "lost", "open"}
