"""Small pieces of English the product says in many places, written once."""

from __future__ import annotations

from collections.abc import Sequence


def plural(n: int | float, word: str, plural_form: str | None = None) -> str:
    """plural(1, "photo") -> "1 photo"; plural(3, "photo") -> "3 photos"."""
    return f"{n} {word if n == 1 else (plural_form or word + 's')}"


def in_words(parts: Sequence[str], conjunction: str = "and") -> str:
    """["a", "b", "c"] -> "a, b and c"; [] -> ""."""
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {conjunction} " + parts[-1]
