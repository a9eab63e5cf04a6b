"""Money: Decimal dollars with 2 places, never float."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from choice_workflow.errors import InvalidInput, Problem

CENT = Decimal("0.01")
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_TOO_LARGE = Decimal("1e12")  # a trillion dollars: beyond any appropriation
_HINT = "Use a Decimal or a string such as Decimal('12500.00') or '12500.00', never a float."
_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
"""Money as text: digits, a point and cents; no exponent, spaces, signs but a leading
minus, thousands separators or underscores (which Decimal() would all accept)."""


def money_problem(value: object, field: str, cites: tuple[str, ...]) -> Problem | None:
    """The problem with ``value`` as an amount of money, or None when it is fine.

    Accepted: a finite :class:`~decimal.Decimal`, an ``int`` or a numeric string, with
    at most 2 decimal places. A ``float`` is refused: binary floating point cannot hold
    cents exactly.
    """
    if (
        type(value) is Decimal
        and value.is_finite()
        and -_TOO_LARGE < value < _TOO_LARGE
        and (value * _HUNDRED) % _ONE == 0
    ):
        return None  # the common case (an amount read or built as a Decimal): whole cents
    if isinstance(value, bool):
        return Problem(cites, "a boolean is not an amount of money", _HINT, field)
    if isinstance(value, float):
        return Problem(cites, f"{value!r} is a float; money must be exact", _HINT, field)
    if isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, str):
        if _TEXT.fullmatch(value) is None:
            if value.strip().lstrip("+-").lower() in {"nan", "snan", "inf", "infinity"}:
                return Problem(cites, f"{value} is not a finite amount", _HINT, field)
            return Problem(
                cites, f"{value!r} is not a number in dollars and cents",
                "Write digits with at most two places of cents, such as '12500.00': no "
                "spaces, exponents, separators or underscores.", field,
            )  # fmt: skip
        try:
            value = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return Problem(cites, f"{value!r} is not a number", _HINT, field)
    if not isinstance(value, Decimal):
        return Problem(
            cites, f"expected an amount of money, got {type(value).__name__}", _HINT, field
        )
    if not value.is_finite():
        return Problem(cites, f"{value} is not a finite amount", _HINT, field)
    if abs(value) >= _TOO_LARGE:
        return Problem(
            cites, f"{value} is too large to be an amount here", "Check the number.", field
        )
    if value != value.quantize(CENT):
        return Problem(
            cites, f"{value} has fractions of a cent", "Round to cents (2 decimal places).", field
        )
    return None


def to_money(value: object, field: str = "amount", cites: tuple[str, ...] = ("15(h)",)) -> Decimal:
    """``value`` as Decimal dollars quantized to cents, or :class:`InvalidInput`."""
    problem = money_problem(value, field, cites)
    if problem is not None:
        raise InvalidInput(problems=[problem])
    if isinstance(value, str):
        return Decimal(value).quantize(CENT)
    return Decimal(value).quantize(CENT)  # type: ignore[arg-type]  # checked above: int or Decimal


def dollar_text(value: Decimal | int) -> str:
    """An amount for people: ``$25,000.00``, ``-$25,000.00`` (the sign before the dollar
    sign), cents always shown."""
    amount = Decimal(value)
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"
