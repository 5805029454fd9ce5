"""Password hashing through Werkzeug (scrypt), never hand-rolled."""

from werkzeug.security import check_password_hash, generate_password_hash


def hash_password(password: str) -> str:
    """The stored form of a password."""
    return generate_password_hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``."""
    return check_password_hash(stored_hash, password)
