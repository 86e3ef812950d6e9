"""The one number check of the control plane (fault rules, timings, balances, seeding), in DRF's wording."""

from __future__ import annotations


def number(data: dict, key: str, errors: dict, *, default=None, minimum=0, maximum=None, integer=False):
    """``data[key]`` (or ``default``) when it is a number within bounds; otherwise None, with ``errors[key]`` set.

    An absent key or a JSON null means "not given" and is None without an error.
    """
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
        errors[key] = ["A valid integer is required." if integer else "A valid number is required."]
        return None
    if value < minimum or (maximum is not None and value > maximum):
        errors[key] = [f"Must be between {minimum} and {maximum}." if maximum is not None else f"Must be >= {minimum}."]
        return None
    return value
