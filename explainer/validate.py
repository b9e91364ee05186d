"""Input checks shared by every explainer entry point a person can reach.

Each check returns the cleaned value or raises :class:`InputError`, whose message says what
to change ("d_model must be even, got 7"). The Gradio layer turns an ``InputError`` into a
``gr.Error`` for that user alone; a notebook user sees the same message as a ``ValueError``.
Values can arrive through the API as anything JSON can carry (strings, NaN, huge numbers),
so nothing here trusts the type it is given.
"""

from __future__ import annotations

import math
from numbers import Real


class InputError(ValueError):
    """A value a person supplied is unusable; the message says what to change."""


MAX_ECHO = 40  # characters of a refused value that a message repeats back


def shown(value: object) -> str:
    """A refused value as a message may echo it: its repr, cut to MAX_ECHO characters.

    A 10 MB string sent through the API must not come back as a 10 MB message (nor into the log).
    """
    try:
        text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else f"a {value.bit_length()}-bit integer"
    except Exception:  # noqa: BLE001 - a repr that fails is still a refusal to report
        text = f"a {type(value).__name__}"
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO] + f"… ({len(text):,} characters)"


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (Real, str)):
        raise InputError(f"{name} must be a number, got {type(value).__name__}.")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond a float's range (e.g. 10**400 through the API)
        raise InputError(f"{name} must be a finite number, got {shown(value)}.") from None
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {shown(value)}.") from None
    if not math.isfinite(number):
        raise InputError(f"{name} must be a finite number, got {shown(value)}.")
    return number


def integer(value: object, name: str, *, lo: int, hi: int, even: bool = False) -> int:
    """An integer in [lo, hi] (a float like 8.0 is accepted, 8.5 is not)."""
    number = _number(value, name)
    if number != int(number):
        raise InputError(f"{name} must be a whole number, got {shown(value)}.")
    result = int(number)
    if not lo <= result <= hi:
        raise InputError(f"{name} must be between {lo} and {hi}, got {result}.")
    if even and result % 2:
        raise InputError(f"{name} must be even, got {result}.")
    return result


def real(value: object, name: str, *, lo: float, hi: float, lo_open: bool = False) -> float:
    """A finite float in [lo, hi] (or (lo, hi] with ``lo_open``)."""
    number = _number(value, name)
    below = number <= lo if lo_open else number < lo
    if below or number > hi:
        bracket = "(" if lo_open else "["
        raise InputError(f"{name} must be in {bracket}{lo:g}, {hi:g}], got {number:g}.")
    return number


def int_list(value: object, name: str, *, lo: int, hi: int, max_items: int) -> list[int]:
    """Comma-separated integers ("0, 1, 10") or a list of them, each in [lo, hi], deduplicated."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise InputError(f"{name} must be a list of whole numbers like '0, 1, 10'.")
    if not parts:
        raise InputError(f"{name} is empty: give at least one whole number, like '0, 1, 10'.")
    if len(parts) > max_items:
        raise InputError(f"{name} has {len(parts)} entries; give at most {max_items}.")
    result: list[int] = []
    for part in parts:
        item = integer(part, f"each of {name}", lo=lo, hi=hi)
        if item not in result:
            result.append(item)
    return result
