"""Numbers in words: a probability never reads 0% or 100% when it is neither."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from walkaway.wording import (
    CONTROL_CHARACTERS,
    command_spans,
    money,
    number,
    percent,
    percent_text,
    printable,
    printable_expr,
    said_once,
    text,
    whole,
    without_nulls,
)


@given(st.floats(0.0, 1.0, allow_subnormal=False))
def test_the_expression_and_the_text_say_the_same(value: float) -> None:
    said = pl.select(percent(pl.lit(value))).item()
    assert said == percent_text(value)
    if 0 < value < 1:
        assert said not in ("0%", "100%")


def test_the_edges() -> None:
    # 0.005 rounds to even (0), so it reads "<1%", as the review's expression says it
    assert [percent_text(v) for v in (0.0, 0.0013, 0.005, 0.153, 0.996, 1.0)] == [
        "0%", "<1%", "<1%", "15%", ">99%", "100%"
    ]  # fmt: skip
    assert percent_text(None) == "—"
    assert percent_text(0.0004, 1) == "<0.1%"


def test_control_characters_are_shown_escaped_and_the_rest_as_it_is() -> None:
    hostile = "\x1b[2J\x1b]0;pwned\x07 \x9b6n\x00 a\tb\nc \u202eevil \x7f"
    shown = printable(hostile)
    assert shown == ("\\x1b[2J\\x1b]0;pwned\\x07 \\x9b6n\\x00 a\\tb\\nc \\u202eevil \\x7f")
    assert printable("山田太郎 · Müller & Söhne — 50% 🚀") == "山田太郎 · Müller & Söhne — 50% 🚀"


@given(st.text())
def test_nothing_a_terminal_acts_on_is_left_and_the_column_says_the_same(value: str) -> None:
    shown = printable(value)
    assert not any(c in shown for c in CONTROL_CHARACTERS)
    assert all(ord(c) >= 0x20 for c in shown)
    assert printable(shown) == shown
    assert pl.select(printable_expr(pl.lit(value))).item() == shown


def test_a_number_no_whole_type_holds_reads_as_a_question_mark_never_an_error() -> None:
    frame = pl.DataFrame({"x": [22.6, 1e20, float("inf"), float("nan"), None]})
    said = frame.select(
        whole=text(whole(pl.col("x"))),
        number=text(number(pl.col("x"))),
        money=text(money(pl.col("x"), "EUR")),
    )
    assert said["whole"].to_list() == ["23", "?", "?", "?", "?"]
    assert said["number"].to_list() == ["22.6", "?", "?", "?", "?"]
    assert said["money"].to_list()[0] == "€23"


def test_a_console_keeps_its_lines_and_tabs_but_nothing_else() -> None:
    assert printable("a\tb\nc\x1b[2J\r", keep_lines=True) == "a\tb\nc\\x1b[2J\\r"


def test_a_note_for_a_page_sets_its_commands_as_code_and_escapes_the_rest() -> None:
    said = command_spans("no model <yet>: run `walkaway train` & `walkaway model`")
    assert str(said) == (
        "no model &lt;yet&gt;: run <code>walkaway train</code> &amp; <code>walkaway model</code>"
    )
    assert str(command_spans("a lone ` backtick <b>")) == "a lone ` backtick &lt;b&gt;"
    assert str(command_spans("run `<script>`")) == "run <code>&lt;script&gt;</code>"


NUMBERS = st.sampled_from([0.0, -0.0, 0.4, 1.5, 2.5, -3.7, 999.5, 1234.5, 1e7, float("nan"), None])


@given(
    st.lists(
        st.tuples(NUMBERS, NUMBERS, st.sampled_from(["EUR", "SEK", None]), st.booleans()),
        max_size=30,
    )
)
def test_words_said_once_per_value_are_the_words_of_every_row(
    rows: list[tuple[float | None, float | None, str | None, bool]],
) -> None:
    """said_once (each distinct row of the columns read worded once, joined back) gives
    what wording every row gives, in the rows' order: repeated values, 0.0 and -0.0,
    NaN and nulls included."""
    frame = pl.DataFrame(
        rows,
        schema={"x": pl.Float64, "y": pl.Float64, "currency": pl.String, "b": pl.Boolean},
        orient="row",
    )
    words = (
        pl.when(pl.col("b"))
        .then(text(whole(pl.col("x")), " of ", money(pl.col("y"), pl.col("currency")), ", "))
        .otherwise(text(number(pl.col("x")), " at ", percent(pl.col("y"))))
    )
    expected = frame.select(words.alias("said")).to_series()
    assert said_once(frame, words).to_list() == expected.to_list()
    assert said_once(frame, pl.lit("same")).to_list() == ["same"] * frame.height


@given(st.lists(st.none() | st.lists(st.none() | st.sampled_from(["a", "b", ""]), max_size=5)))
def test_lists_without_nulls_are_those_polars_drops_the_nulls_of(
    lists: list[list[str | None] | None],
) -> None:
    """without_nulls gives list.drop_nulls's lists: a null list stays null, an empty or
    all-null one is empty, the order kept."""
    frame = pl.DataFrame({"x": lists}, schema={"x": pl.List(pl.String)})
    expected = frame.select(pl.col("x").list.drop_nulls())
    assert frame.select(without_nulls(pl.col("x"))).to_series().to_list() == (
        expected.to_series().to_list()
    )
