"""The review written out a slice at a time is the review written whole."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest

from walkaway.service import import_files, sample_files
from walkaway.service.export import write_review_csv, write_review_json
from walkaway.service.review import Review, review
from walkaway.store import Store

AS_OF = datetime(2026, 10, 1)


@pytest.fixture
def result(store: Store) -> Review:
    import_files(store, *sample_files(), format="generic")
    found = review(store, AS_OF)
    assert found.deals.height > 7
    return found


def written(write: object, result: Review, rows: int) -> bytes:
    out = io.BytesIO()
    write(result, out, rows=rows)  # type: ignore[operator]
    return out.getvalue()


@pytest.mark.parametrize("rows", [1, 3, 7])
def test_slices_make_the_same_json_and_csv(result: Review, rows: int) -> None:
    whole = written(write_review_json, result, result.deals.height)
    assert written(write_review_json, result, rows) == whole
    data = json.loads(whole)
    assert [d["deal_id"] for d in data["deals"]] == result.deals["deal_id"].to_list()
    assert data["summary"] == json.loads(json.dumps(result.summary))
    assert all(isinstance(d["reasons"], list) for d in data["deals"])
    whole_csv = written(write_review_csv, result, result.deals.height)
    assert written(write_review_csv, result, rows) == whole_csv
    table = list(csv.DictReader(io.StringIO(whole_csv.decode())))
    assert [row["deal_id"] for row in table] == result.deals["deal_id"].to_list()


def test_an_empty_review_is_still_json_and_a_csv_header(store: Store) -> None:
    import_files(store, *sample_files(), format="generic")
    nobody = review(store, AS_OF, owner="Nobody At All")
    assert nobody.deals.height == 0
    assert json.loads(written(write_review_json, nobody, 3))["deals"] == []
    text = written(write_review_csv, nobody, 3).decode()
    assert text.splitlines() == [",".join(nobody.deals.columns)]


def test_slices_made_ahead_come_in_order_and_few_wait() -> None:
    """Slices are made on threads ahead of the writer, yet come out in order, with no
    more than a few made and waiting (a million-deal review never held whole)."""
    import threading
    import time

    from walkaway.service.export import made_ahead

    made: list[int] = []
    lock = threading.Lock()

    def make(key: int) -> int:
        time.sleep(0.002 * (key % 3))  # later keys sometimes done first
        with lock:
            made.append(key)
        return key * key

    taken = []
    for value in made_ahead(make, range(40), ahead=2):
        with lock:
            waiting = len(made) - len(taken)
        assert waiting <= 3
        taken.append(value)
    assert taken == [k * k for k in range(40)]


def test_a_slice_that_fails_fails_the_write() -> None:
    from walkaway.service.export import made_ahead

    def make(key: int) -> int:
        if key == 5:
            raise ValueError("slice 5")
        return key

    with pytest.raises(ValueError, match="slice 5"):
        list(made_ahead(make, range(10)))
