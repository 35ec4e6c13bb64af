"""How a file's cells read: stripped of any white space at their ends, empty as null,
and rows numbered as the spreadsheet shows them, blank rows left out."""

from __future__ import annotations

from walkaway.importers.reading import ROW_COLUMN, read_csv_bytes


def test_cells_lose_any_white_space_at_their_ends() -> None:
    text = "deal_id,owner\n\u3000D-1\u00a0,\u2009Mia\r\nD-2,\u202f \u3000\n"
    table = read_csv_bytes(text.encode(), "deals.csv")
    assert table.frame["deal_id"].to_list() == ["D-1", "D-2"]
    assert table.frame["owner"].to_list() == ["Mia", None]
    assert table.frame[ROW_COLUMN].to_list() == [2, 3]


def test_blank_rows_are_left_out_and_the_others_keep_their_numbers() -> None:
    text = "deal_id,owner\nD-1,Mia\n , \nD-2,\n,\u00a0\nD-3,Ben\n"
    table = read_csv_bytes(text.encode(), "deals.csv")
    assert table.frame["deal_id"].to_list() == ["D-1", "D-2", "D-3"]
    assert table.frame[ROW_COLUMN].to_list() == [2, 4, 6]
