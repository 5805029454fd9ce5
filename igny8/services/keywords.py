"""Keywords: normalisation, validation and bulk insertion shared by JSON create and CSV import."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite

from igny8.extensions import db
from igny8.models import Keyword, Site
from igny8.models.base import INTENTS

# Rows per INSERT statement: large enough to be fast, small enough for SQLite's variable limit.
INSERT_CHUNK = 1000


@dataclass
class KeywordRow:
    """One keyword to add, already typed; ``row`` is its position in the input (for errors)."""

    keyword: str
    volume: int | None = None
    difficulty: int | None = None
    cpc: Decimal | None = None
    intent: str | None = None
    row: int = 0


@dataclass
class AddResult:
    """What adding a batch of keywords did: the API's response shape."""

    created: int = 0
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The JSON body ``{"created", "duplicates", "errors"}``."""
        return {"created": self.created, "duplicates": self.duplicates, "errors": self.errors}


def collapse(text: str) -> str:
    """Trim and collapse runs of whitespace to one space."""
    return " ".join(text.split())


def keyword_key(text: str) -> str:
    """The form keywords are unique by within a site."""
    return collapse(text).lower()


def normalize_intent(value: str | None) -> str | None:
    """``"Navigational, Transactional"`` → ``"navigational"``; unknown values → ValueError."""
    if value is None:
        return None
    first = value.replace(";", ",").split(",")[0].strip().lower()
    if first in ("", "n/a", "-"):
        return None
    if first not in INTENTS:
        raise ValueError(f"intent must be one of {', '.join(INTENTS)}")
    return first


def check_row(row: KeywordRow, max_length: int) -> dict[str, str]:
    """Field errors of a typed keyword row (empty when it is valid)."""
    errors: dict[str, str] = {}
    text = collapse(row.keyword or "")
    if not text:
        errors["keyword"] = "keyword is empty"
    elif len(text) > max_length:
        errors["keyword"] = f"keyword is longer than {max_length} characters"
    if row.volume is not None and row.volume < 0:
        errors["volume"] = "volume must be zero or more"
    if row.volume is not None and row.volume > 2**31 - 1:
        errors["volume"] = "volume is too large"
    if row.difficulty is not None and not 0 <= row.difficulty <= 100:
        errors["difficulty"] = "difficulty must be between 0 and 100"
    if row.cpc is not None:
        try:
            if row.cpc < 0 or row.cpc >= Decimal("100000000"):
                errors["cpc"] = "cpc must be between 0 and 99,999,999.99"
        except InvalidOperation:
            errors["cpc"] = "cpc must be a number"
    return errors


def _insert_statement():
    """INSERT that skips rows whose (site, key) exists — safe against concurrent imports."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(Keyword).on_conflict_do_nothing(index_elements=["site_id", "keyword_key"])
    if dialect == "sqlite":
        return sqlite.insert(Keyword).on_conflict_do_nothing(index_elements=["site_id", "keyword_key"])
    return insert(Keyword)


def add_keywords(site: Site, rows: list[KeywordRow], source: str | None = None) -> AddResult:
    """Insert valid, new keywords in chunks; count duplicates (in the input or already stored).

    Rows must already be valid (see ``check_row``). Runs as one transaction.
    """
    result = AddResult()
    seen: set[str] = set()
    fresh: list[dict] = []
    for row in rows:
        key = keyword_key(row.keyword)
        if key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        fresh.append({
            "account_id": site.account_id, "site_id": site.id, "keyword": collapse(row.keyword),
            "keyword_key": key, "volume": row.volume, "difficulty": row.difficulty,
            "cpc": row.cpc, "intent": row.intent, "status": "new", "disabled": False,
            "source": source,
        })
    stmt = _insert_statement().returning(Keyword.id)
    for start in range(0, len(fresh), INSERT_CHUNK):
        chunk = fresh[start:start + INSERT_CHUNK]
        inserted = len(db.session.execute(stmt, chunk).all())
        result.created += inserted
        result.duplicates += len(chunk) - inserted
    db.session.commit()
    return result
