"""The demo seed: an account with a printed login, a site and a real Semrush export."""

from __future__ import annotations

from pathlib import Path

from igny8.services.accounts import create_account, create_site, find_user
from igny8.services.keyword_import import parse_keyword_file
from igny8.services.keywords import add_keywords

DEMO_EMAIL = "demo@igny8.local"
DEMO_PASSWORD = "demo-password"
DEMO_FILE = Path(__file__).with_name("semrush_kmt_ai-code-review_broad-match_us_2026-04-14.csv")


def seed_demo() -> dict:
    """Create (or reuse) the demo account and site and import the demo keywords."""
    user = find_user(DEMO_EMAIL) or create_account("Demo Agency", DEMO_EMAIL, DEMO_PASSWORD, 20000)
    site = create_site(user.account_id, "AI Code Review Blog", "ai-code-review.example")
    parsed = parse_keyword_file(DEMO_FILE.read_bytes(), max_rows=100_000, max_keyword_length=200)
    result = add_keywords(site, parsed.rows, source=DEMO_FILE.name)
    return {
        "email": DEMO_EMAIL, "password": DEMO_PASSWORD, "account_id": user.account_id,
        "site_id": site.id, "keywords_imported": result.created,
    }
