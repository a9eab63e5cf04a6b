"""Money: Decimal dollars with 2 places, never float."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from choice_workflow.domain.money import money_problem, to_money
from choice_workflow.errors import InvalidInput, Problem

LIMIT = Decimal("999999999999.99")  # the largest amount below a trillion dollars


@pytest.mark.cite("15(h)")
@pytest.mark.parametrize("value", [12500.0, 0.1, 1e3, -5.25])
def test_a_float_is_refused_with_a_hint_to_use_decimal_or_a_string(value: float) -> None:
    problem = money_problem(value, "amount", ("15(h)",))
    assert problem is not None
    assert ("15(h)",) == problem.cites
    assert "amount" == problem.field
    assert "float" in problem.reason
    assert "Decimal" in problem.hint
    assert "string" in problem.hint
    assert problem.is_error


@pytest.mark.cite("15(h)")
def test_to_money_refuses_a_float_and_keeps_the_default_cite() -> None:
    with pytest.raises(InvalidInput) as info:
        to_money(12500.0)
    (problem,) = info.value.problems
    assert (("15(h)",), "amount") == (problem.cites, problem.field)
    assert "[15(h)]" in str(info.value)
    assert "Decimal" in str(info.value)


@pytest.mark.cite("15(b)(3)")
def test_to_money_keeps_the_callers_field_and_cites() -> None:
    with pytest.raises(InvalidInput) as info:
        to_money(7.25, "wages_14c.minimum", ("15(b)(3)", "15(b)(4)"))
    (problem,) = info.value.problems
    assert ("15(b)(3)", "15(b)(4)") == problem.cites
    assert "wages_14c.minimum" == problem.field
    assert ("15(b)(3)", "15(b)(4)") == info.value.cites


REFUSED = [
    pytest.param(Decimal("NaN"), "finite", id="nan"),
    pytest.param(Decimal("sNaN"), "finite", id="signaling-nan"),
    pytest.param(Decimal("Infinity"), "finite", id="infinity"),
    pytest.param(Decimal("-Infinity"), "finite", id="minus-infinity"),
    pytest.param("NaN", "finite", id="nan-string"),
    pytest.param("Infinity", "finite", id="infinity-string"),
    pytest.param(Decimal("0.001"), "cent", id="sub-cent"),
    pytest.param(Decimal("12.345"), "cent", id="three-places"),
    pytest.param("0.005", "cent", id="sub-cent-string"),
    pytest.param(Decimal("1E-30"), "cent", id="tiny"),
    pytest.param(True, "boolean", id="true"),
    pytest.param(False, "boolean", id="false"),
    pytest.param(None, "NoneType", id="none"),
    pytest.param(Fraction(1, 2), "Fraction", id="fraction"),
    pytest.param([Decimal("1.00")], "list", id="list"),
    pytest.param(Decimal("1E+12"), "too large", id="a-trillion"),
    pytest.param(10**12, "too large", id="a-trillion-int"),
    pytest.param("-1000000000000.00", "too large", id="minus-a-trillion-string"),
    pytest.param(Decimal("1E+40"), "too large", id="beyond-decimal-precision"),
    pytest.param("", "not a number", id="empty-string"),
    pytest.param("abc", "not a number", id="letters"),
    pytest.param("12,500.00", "not a number", id="thousands-comma"),
    pytest.param("$10.00", "not a number", id="dollar-sign"),
    pytest.param("ten", "not a number", id="words"),
]


@pytest.mark.cite("15(h)")
@pytest.mark.parametrize(("value", "said"), REFUSED)
def test_what_is_not_an_amount_of_money_is_refused(value: object, said: str) -> None:
    problem = money_problem(value, "amount", ("15(h)",))
    assert problem is not None
    assert ("15(h)",) == problem.cites
    assert said in problem.reason
    assert problem.hint
    with pytest.raises(InvalidInput) as info:
        to_money(value)
    assert [problem] == list(info.value.problems)


@pytest.mark.parametrize(
    "text",
    [" 12.5 ", "12.5 ", "1e4", "1E+3", "1_000.00", "+5.00", "12,500", "١٢٣", "0x10", ".5", "5."],
)
def test_money_as_text_is_digits_and_cents_only(text: str) -> None:
    problem = money_problem(text, "amount", ("15(h)",))
    assert problem is not None
    assert "no spaces, exponents, separators or underscores" in problem.hint
    with pytest.raises(InvalidInput):
        to_money(text)


ACCEPTED = [
    pytest.param(10000, "10000.00", id="int"),
    pytest.param(0, "0.00", id="zero"),
    pytest.param(Decimal("7"), "7.00", id="decimal-without-places"),
    pytest.param(Decimal("7.5"), "7.50", id="decimal-one-place"),
    pytest.param(Decimal("12500.00"), "12500.00", id="decimal-cents"),
    pytest.param(Decimal("12.3400"), "12.34", id="decimal-trailing-zeros"),
    pytest.param(Decimal("1E+3"), "1000.00", id="decimal-exponent"),
    pytest.param("12500.00", "12500.00", id="string"),
    pytest.param("50000", "50000.00", id="string-whole-dollars"),
    pytest.param("-3.10", "-3.10", id="negative-string"),
    pytest.param(LIMIT, "999999999999.99", id="largest"),
]


@pytest.mark.parametrize(("value", "expected"), ACCEPTED)
def test_ints_strings_and_decimals_become_dollars_and_cents(value: object, expected: str) -> None:
    assert money_problem(value, "amount", ("15(h)",)) is None
    amount = to_money(value)
    assert isinstance(amount, Decimal)
    assert Decimal(expected) == amount
    assert expected == str(amount)
    assert -2 == amount.as_tuple().exponent


cents = st.decimals(
    min_value=-LIMIT, max_value=LIMIT, places=2, allow_nan=False, allow_infinity=False
)


@given(cents)
@example(Decimal("0.01"))
@example(Decimal("-0.01"))
@example(LIMIT)
def test_any_decimal_with_at_most_2_places_round_trips(amount: Decimal) -> None:
    assert money_problem(amount, "amount", ("15(h)",)) is None
    assert amount == to_money(amount)
    assert amount == to_money(str(amount))
    assert -2 == to_money(amount).as_tuple().exponent


@given(st.integers(min_value=-(10**12) + 1, max_value=10**12 - 1))
def test_any_whole_number_of_dollars_below_a_trillion_is_money(dollars: int) -> None:
    assert Decimal(dollars) == to_money(dollars)


@given(
    st.decimals(
        min_value=-LIMIT, max_value=LIMIT, places=4, allow_nan=False, allow_infinity=False
    ).filter(lambda d: d != d.quantize(Decimal("0.01")))
)
def test_any_decimal_with_fractions_of_a_cent_is_refused(amount: Decimal) -> None:
    problem = money_problem(amount, "amount", ("15(h)",))
    assert problem is not None
    assert "cent" in problem.reason


def test_a_money_problem_is_a_plain_problem() -> None:
    problem = money_problem(1.5, "grant.amount", ("15(h)",))
    assert isinstance(problem, Problem)
    assert str(problem).startswith("grant.amount: 1.5 is a float")


def test_amounts_for_people_put_the_sign_before_the_dollar_sign() -> None:
    from choice_workflow.domain.money import dollar_text

    assert "-$25,000.00" == dollar_text(Decimal("-25000"))
    assert "$25,000.00" == dollar_text(Decimal("25000"))
    assert "$0.00" == dollar_text(0)
    assert "-$0.01" == dollar_text(Decimal("-0.01"))


def test_a_refused_negative_approval_shows_the_amount_as_people_write_it() -> None:
    import pendulum

    from choice_workflow import Actor, ManualClock, Program, Role, TransitionRefused
    from choice_workflow.samples import sample_application, sample_employer

    clock = ManualClock(pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago"))
    program = Program(clock=clock)
    director = Actor("director", Role.DIRECTOR)
    program.register_employer(sample_employer("E-1", at=clock.now()), Actor("dol", Role.DEPARTMENT))
    program.open_cycle(1, director, appropriation="500000.00")
    program.apply(
        sample_application("E-1", at=clock.now()),
        Actor("u", Role.EMPLOYER, employer_id="E-1"),
        grant_id="G-1",
    )
    with pytest.raises((TransitionRefused, InvalidInput)) as refused:
        program.approve("G-1", "-25000.00", director)
    assert "-$25,000.00" in str(refused.value)
    assert "$-" not in str(refused.value)
