"""The leadership check's core: scoring with known verdicts, the plan, compare, validation."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st

from walkaway.errors import InputError
from walkaway.leadership.check import (
    QUESTIONS,
    Area,
    LeadershipReport,
    Phase,
    Verdict,
    check_answers,
    compare,
    parse_answers,
    score_check,
)
from walkaway.leadership.questions import QUESTIONS_BY_ID, ROLE_AREAS
from walkaway.service.leadership import latest_checks, save_check
from walkaway.store import Store
from walkaway.store.database import _alembic_config
from walkaway.store.schema import leadership_checks

DOCS = Path(__file__).resolve().parents[1] / "docs"


def answers_at(steps: Mapping[str, int] | None = None, default: int = 0) -> dict[str, int]:
    """Answers ``default`` steps (0-4) from each question's healthy end, except ``steps``.

    A step is what the score counts: 0 is the healthiest answer, 4 the strongest warning,
    whichever end of the 1-5 scale that is for the question.
    """
    chosen = {q.id: default for q in QUESTIONS} | dict(steps or {})
    return {q.id: 1 + chosen[q.id] if q.high_is_warning else 5 - chosen[q.id] for q in QUESTIONS}


def each(prefix: str, *steps: int) -> dict[str, int]:
    return {f"{prefix}_{n}": step for n, step in enumerate(steps, start=1)}


HEALTHY = answers_at()
WARNING = answers_at(default=4)
LASTING = {"context_1": 4}  # over a year: not one bad month


def test_all_healthy_answers_mean_stay_and_invest() -> None:
    report = score_check(HEALTHY)
    assert report.verdict is Verdict.STAY_AND_INVEST
    assert report.role_concern == 0
    assert {score.concern for score in report.areas} == {0}
    assert report.signals == ()
    assert len(report.strengths) == sum(q.area in ROLE_AREAS for q in QUESTIONS)
    assert {step.phase for step in report.plan} == set(Phase)
    assert "take the check again" in report.plan[-1].action


def test_all_warning_answers_mean_plan_your_exit() -> None:
    report = score_check(WARNING)
    assert report.verdict is Verdict.PLAN_YOUR_EXIT
    assert report.role_concern == 100
    assert {score.concern for score in report.areas} == {100}
    assert len(report.signals) == sum(q.area in ROLE_AREAS for q in QUESTIONS)
    assert [s.question_id for s in report.strongest()] == [
        "values_1",
        "values_2",
        "values_3",
        "demands_1",
        "demands_2",
    ]
    assert report.strongest()[0].text == (
        "you are asked to hide product limitations or over-promise (values_1: almost always)"
    )
    codes = [factor.code for factor in report.factors]
    assert codes == [
        "team_depends_on_you",
        "lasting",
        "raised_without_change",
        "savings",
        "no_next_step",
        "timing",
    ]


# Role concern = mean of the 7 role areas. With K steps over the five three-question
# areas and M over the two two-question areas (support, wellbeing), it is
# (K/12 + M/8) / 7 = (2K + 3M) / 168; the comments give 2K + 3M.
EXIT_EDGE = {
    **each("demands", 4, 4, 4),
    **each("respect", 4, 4, 4),
    **each("support", 4, 4),
    **each("wellbeing", 4, 4),
}


@pytest.mark.parametrize(
    ("steps", "concern", "verdict"),
    [
        # 2*26 + 3*16 = 100 -> 59.5 rounds up to 60: the exit threshold.
        ({**EXIT_EDGE, "engagement_1": 2, **LASTING}, 60, Verdict.PLAN_YOUR_EXIT),
        # One answer one step healthier: 98 -> 58.
        ({**EXIT_EDGE, "engagement_1": 1, **LASTING}, 58, Verdict.FIX_OR_LEAVE),
        # 60, but it has felt this way for 1-3 months: not from one bad month.
        ({**EXIT_EDGE, "engagement_1": 2, "context_1": 1}, 60, Verdict.FIX_OR_LEAVE),
        # 2*18 + 3*7 = 57 -> 33.9: below 35, and no area reaches 60.
        (
            {
                **each("demands", 2, 2, 2),
                **each("respect", 2, 2, 2),
                **each("engagement", 2, 2, 2),
                **each("support", 2, 2),
                **each("wellbeing", 2, 1),
            },
            34,
            Verdict.STAY_AND_INVEST,
        ),
        # One more step on stagnation: 59 -> 35.1, the fix-or-leave threshold.
        (
            {
                **each("demands", 2, 2, 2),
                **each("respect", 2, 2, 2),
                **each("engagement", 2, 2, 2),
                **each("support", 2, 2),
                **each("wellbeing", 2, 1),
                "stagnation_1": 1,
            },
            35,
            Verdict.FIX_OR_LEAVE,
        ),
        # One area alone at 62.5 -> 63 (>= 60), with a low role concern.
        (each("wellbeing", 2, 3), 9, Verdict.FIX_OR_LEAVE),
        (each("wellbeing", 2, 2), 7, Verdict.STAY_AND_INVEST),
        # Values and ethics at 75 means the exit, even when recent and otherwise fine.
        ({**each("values", 3, 3, 3), "context_1": 0}, 11, Verdict.PLAN_YOUR_EXIT),
        # At 67 it is an area alarm only.
        (each("values", 3, 3, 2), 10, Verdict.FIX_OR_LEAVE),
    ],
)
def test_verdict_at_the_threshold_edges(
    steps: dict[str, int], concern: int, verdict: Verdict
) -> None:
    report = score_check(answers_at(steps))
    assert (report.role_concern, report.verdict) == (concern, verdict), report.reason


def test_the_reason_names_the_rule_and_the_numbers() -> None:
    recent = score_check(answers_at({**EXIT_EDGE, "engagement_1": 2, "context_1": 1}))
    assert "role concern 60/100" in recent.reason and "under three months" in recent.reason
    alarm = score_check(answers_at(each("wellbeing", 2, 3)))
    assert "energy and burnout at 63/100" in alarm.reason
    ethics = score_check(answers_at(each("values", 3, 3, 3)))
    assert ethics.reason.startswith("values and ethics at 75/100")


def test_area_scores_follow_the_questions_polarity() -> None:
    # demands_3 is a healthy sign: answering 1 ("strongly disagree") is its warning end.
    answers = HEALTHY | {"demands_1": 4, "demands_3": 1}
    report = score_check(answers)
    # (0.75 + 0 + 1.0) / 3 = 58.3 -> 58
    assert report.concern(Area.UNREALISTIC_DEMANDS) == 58
    assert [s.question_id for s in report.signals] == ["demands_3", "demands_1"]


def test_the_plan_targets_the_weakest_area_when_staying() -> None:
    report = score_check(answers_at({**each("respect", 1, 1, 1), "support_1": 1}))
    assert report.verdict is Verdict.STAY_AND_INVEST
    worked_on = [step.area for step in report.plan if step.area]
    assert worked_on == [Area.RESPECT] * 3  # 25 beats support's 12.5
    assert [step.phase for step in report.plan if step.area] == list(Phase)


def test_the_plan_targets_the_two_weakest_areas_to_fix_or_leave() -> None:
    steps = {**each("stagnation", 3, 3, 3), **each("support", 2, 3), **each("respect", 1, 1)}
    report = score_check(answers_at({**steps, **LASTING}))
    assert report.verdict is Verdict.FIX_OR_LEAVE
    assert {step.area for step in report.plan if step.area} == {Area.STAGNATION, Area.SUPPORT}
    assert report.plan[0].area is Area.STAGNATION  # the weakest comes first
    assert any("deadline" in step.action for step in report.plan)


def test_an_exit_plan_names_the_weakest_areas_and_leaves_well() -> None:
    report = score_check(answers_at({**EXIT_EDGE, "engagement_1": 2, **LASTING}))
    first = report.plan[0]
    assert first.phase is Phase.WEEKS_1_2
    assert "unrealistic demands and respect for your expertise" in first.action
    assert any("transition document" in step.action for step in report.plan)
    assert report.plan[-1].phase is Phase.WEEKS_7_12


def test_a_team_that_depends_on_you_gets_hand_over_steps_and_a_factor() -> None:
    report = score_check(answers_at(each("dependency", 2, 2, 2)))
    assert [s.area for s in report.plan if s.area is Area.DEPENDENCY] == [Area.DEPENDENCY] * 3
    assert report.factors[0].code == "team_depends_on_you"
    assert "(50/100)" in report.factors[0].text
    calm = score_check(HEALTHY)
    assert not any(step.area is Area.DEPENDENCY for step in calm.plan)
    assert calm.factors[0].code == "team_runs_without_you"


def test_one_bad_month_is_a_factor_to_weigh() -> None:
    report = score_check(answers_at({**each("support", 4, 4), "context_1": 1}))
    assert report.verdict is Verdict.FIX_OR_LEAVE
    recent = next(f for f in report.factors if f.code == "recent")
    assert "1–3 months" in recent.text and "one bad month" in recent.text
    assert "not_yet_raised" in [f.code for f in report.factors]


def test_compare_arithmetic() -> None:
    before = score_check(answers_at({**each("demands", 4, 4, 4), **each("respect", 1, 1, 1)}))
    after = score_check(
        answers_at({**each("demands", 2, 2, 2), **each("respect", 2, 2, 2), "wellbeing_1": 1})
    )
    change = compare(before, after)
    # (100 + 25) / 7 = 17.9 -> 18; (50 + 50 + 12.5) / 7 = 16.1 -> 16
    assert (change.concern_before, change.concern_now, change.delta) == (18, 16, -2)
    deltas = {c.area: c.delta for c in change.areas}
    assert deltas[Area.UNREALISTIC_DEMANDS] == -50
    assert deltas[Area.RESPECT] == 25
    assert deltas[Area.WELLBEING] == 13
    assert deltas[Area.VALUES_ETHICS] == 0
    assert [c.area for c in change.improved] == [Area.UNREALISTIC_DEMANDS]
    assert [c.area for c in change.worsened] == [Area.RESPECT, Area.WELLBEING]
    assert [s.question_id for s in change.resolved_signals] == [
        "demands_1",
        "demands_2",
        "demands_3",
    ]
    assert change.new_signals == ()
    assert change.to_dict()["delta"] == -2


def test_compare_sees_new_signals_and_a_changed_verdict() -> None:
    change = compare(score_check(HEALTHY), score_check(WARNING))
    assert (change.verdict_before, change.verdict_now) == (
        Verdict.STAY_AND_INVEST,
        Verdict.PLAN_YOUR_EXIT,
    )
    assert change.delta == 100 and change.resolved_signals == ()
    assert len(change.new_signals) == len(score_check(WARNING).signals)


def test_a_report_survives_json() -> None:
    report = score_check(answers_at({**EXIT_EDGE, "engagement_1": 2}))
    assert LeadershipReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_a_missing_answer_names_the_question_and_the_range() -> None:
    answers = dict(HEALTHY)
    del answers["respect_2"]
    with pytest.raises(InputError) as caught:
        score_check(answers)
    assert str(caught.value) == (
        "no answer for question 'respect_2': expected a whole number from 1 (never) "
        "to 5 (almost always)"
    )


def test_many_problems_report_the_first_and_count_the_rest() -> None:
    with pytest.raises(InputError) as caught:
        check_answers({"values_1": 4})
    message = str(caught.value)
    assert message.startswith("no answer for question 'values_2'")
    assert message.endswith(f"(and {len(QUESTIONS) - 2} more problem(s))")
    assert "\n" not in message


@pytest.mark.parametrize("value", [0, 6, -1, 4.0, "4", True, None])
def test_an_answer_out_of_range_or_not_a_whole_number(value: object) -> None:
    with pytest.raises(InputError) as caught:
        check_answers(HEALTHY | {"demands_3": value})
    assert str(caught.value) == (
        f"answer for question 'demands_3' is {value!r}: expected a whole number from "
        "1 (strongly disagree) to 5 (strongly agree)"
    )


def test_an_unknown_question_id_suggests_the_likely_one() -> None:
    with pytest.raises(InputError) as caught:
        check_answers(HEALTHY | {"valus_1": 3})
    assert str(caught.value).startswith("unknown question id 'valus_1' (did you mean 'values_1'?)")


def toml_text(answers: Mapping[str, int], by: str | None = None) -> str:
    head = f'by = "{by}"\n' if by else ""
    return head + "[answers]\n" + "".join(f"{k} = {v}\n" for k, v in answers.items())


def test_parse_answers_from_toml_and_json() -> None:
    sheet = parse_answers(toml_text(HEALTHY, by=" Ana "), "toml", "a.toml")
    assert (sheet.answers, sheet.by) == (HEALTHY, "Ana")
    sheet = parse_answers(json.dumps({"answers": WARNING}), "json", "a.json")
    assert (sheet.answers, sheet.by) == (WARNING, None)


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("[answers\nvalues_1 = 4\n", "toml", "a.toml: not valid TOML: Expected ']'"),
        ('{"answers": {"values_1": 4', "json", "a.json: not valid JSON: Expecting"),
        ("values_1 = 4\n", "toml", "a.toml: no answers found; expected an [answers] table"),
        ("[1, 2]", "json", "a.json: no answers found"),
        ("answer = 1\n[answers]\nvalues_1 = 4\n", "toml", "a.toml: unknown key 'answer'"),
        ("by = 3\n[answers]\nvalues_1 = 4\n", "toml", "a.toml: 'by' is 3"),
        ("[answers]\nvalues_1 = 4\n", "toml", "a.toml: no answer for question 'values_2'"),
        ("", "yaml", "a.yaml: an answers file ends in .toml or .json"),
    ],
)
def test_bad_answers_files(text: str, fmt: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_answers(text, fmt, f"a.{fmt}")
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_the_docs_list_every_question_and_threshold() -> None:
    text = (DOCS / "leadership.md").read_text(encoding="utf-8")
    for question in QUESTIONS:
        assert f"| `{question.id}` | {question.text} |" in text
    for threshold in ("≥ **75**", "≥ **60**", "≥ **35**"):
        assert threshold in text
    example = re.search(r"```json\n(.*?)```", text, re.S)
    assert example, "docs/leadership.md shows a JSON answers file"
    assert parse_answers(example.group(1), "json").by == "Ana"


def test_the_example_answers_file_scores() -> None:
    path = DOCS / "examples" / "leader-answers.toml"
    sheet = parse_answers(path.read_text(encoding="utf-8"), "toml", str(path))
    assert sheet.by == "Ana" and list(sheet.answers) == list(QUESTIONS_BY_ID)
    assert score_check(sheet.answers).verdict is Verdict.FIX_OR_LEAVE


any_answers = st.fixed_dictionaries({q.id: st.integers(1, 5) for q in QUESTIONS})


@settings(max_examples=200, deadline=None)
@given(any_answers)
def test_every_report_is_complete(answers: dict[str, int]) -> None:
    report = score_check(answers)
    assert 0 <= report.role_concern <= 100
    assert all(0 <= score.concern <= 100 for score in report.areas)
    assert [score.area for score in report.areas] == list(Area)
    assert {step.phase for step in report.plan} == set(Phase)
    assert all(signal.concern >= 75 for signal in report.signals)


@settings(max_examples=200, deadline=None)
@given(any_answers, st.sampled_from([q.id for q in QUESTIONS if q.area in ROLE_AREAS]))
def test_a_more_worrying_answer_never_lowers_the_concern(
    answers: dict[str, int], question_id: str
) -> None:
    question = QUESTIONS_BY_ID[question_id]
    worse = answers[question_id] + (1 if question.high_is_warning else -1)
    if not 1 <= worse <= 5:
        return
    before = score_check(answers)
    after = score_check(answers | {question_id: worse})
    assert after.role_concern >= before.role_concern
    assert after.concern(question.area) > before.concern(question.area)
    severity = list(Verdict)
    recent = answers["context_1"] <= 2
    assert recent or severity.index(after.verdict) >= severity.index(before.verdict)


# The use cases on the real store, on SQLite and on PostgreSQL (the ``store`` fixture).
NOW = datetime(2026, 3, 1, 9, 0)


def stored_rows(store: Store) -> int:
    with store.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(leadership_checks)).scalar_one()
        )


def test_save_check_then_compare_with_the_previous_one(store: Store) -> None:
    first = save_check(store, WARNING, "Ana", NOW)
    assert first.previous is None and first.change is None
    save_check(store, HEALTHY, "Ben", NOW + timedelta(days=1))
    second = save_check(store, HEALTHY, " Ana ", NOW + timedelta(days=90))
    assert second.previous is not None and second.previous.id == first.check.id
    assert second.change is not None and second.change.delta == -100
    latest = latest_checks(store, "Ana")
    assert [c.id for c in latest] == [second.check.id, first.check.id]
    assert latest[1].answers == WARNING and latest[1].report == score_check(WARNING)
    assert latest[0].taken_at == NOW + timedelta(days=90) and latest[0].taken_by == "Ana"
    assert [c.taken_by for c in latest_checks(store, "Ben", n=5)] == ["Ben"]


def test_an_aware_time_is_stored_as_naive_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    saved = save_check(store, HEALTHY, "Ana", datetime(2026, 3, 1, 10, 0, tzinfo=paris))
    assert saved.check.taken_at == datetime(2026, 3, 1, 9, 0)
    assert latest_checks(store, "Ana", n=1)[0].taken_at == datetime(2026, 3, 1, 9, 0)


@pytest.mark.parametrize(
    ("answers", "name", "message"),
    [
        ({**HEALTHY, "values_1": 6}, "Ana", "answer for question 'values_1' is 6"),
        ({k: v for k, v in HEALTHY.items() if k != "context_2"}, "Ana", "no answer for"),
        (HEALTHY, "  ", "the name of who took the check is '  '"),
    ],
)
def test_invalid_input_writes_nothing(
    store: Store, answers: dict[str, int], name: str, message: str
) -> None:
    save_check(store, HEALTHY, "Ana", NOW)
    with pytest.raises(InputError, match=re.escape(message)):
        save_check(store, answers, name, NOW + timedelta(days=1))
    assert stored_rows(store) == 1


def test_the_leadership_migration_goes_down_and_up(store: Store) -> None:
    save_check(store, HEALTHY, "Ana", datetime.now(UTC))
    config = _alembic_config(store.engine)
    command.downgrade(config, "0001")
    assert "leadership_checks" not in sa.inspect(store.engine).get_table_names()
    command.upgrade(config, "head")
    assert store.is_current() and stored_rows(store) == 0
