"""Password hashing with bcrypt (salted, deliberately slow); plain passwords are never kept.

bcrypt reads at most 72 bytes of a password; rather than silently ignoring the rest, longer
passwords are refused when set. Verifying against an unknown user still spends one bcrypt
round on a dummy hash, so the time taken does not tell which user names exist.
"""

from __future__ import annotations

import bcrypt

MIN_LENGTH = 8
MAX_BYTES = 72  # bcrypt's own limit
_ROUNDS = 12


class PasswordRejected(ValueError):
    """A password that cannot be set; `str(err)` is a sentence for the person."""


def check_password_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password.encode("utf-8")) > MAX_BYTES:
        raise PasswordRejected(f"A password can be at most {MAX_BYTES} bytes long.")


def hash_password(password: str, rounds: int = _ROUNDS) -> str:
    check_password_rules(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


# A real hash of a random string, computed once: what an unknown user is checked against.
_DUMMY_HASH = bcrypt.hashpw(b"no such account", bcrypt.gensalt(_ROUNDS))


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when `password` matches; False for a wrong password or no account (same cost)."""
    data = password.encode("utf-8")
    if password_hash is None or len(data) > MAX_BYTES:
        bcrypt.checkpw(b"", _DUMMY_HASH)
        return False
    try:
        return bcrypt.checkpw(data, password_hash.encode("ascii"))
    except ValueError:  # a damaged hash in the database: no login, not a crash
        return False
