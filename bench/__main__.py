"""Run every benchmark and print its timing against its goal."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
LOCAL = Path(__file__).resolve().parent.parent / "igny8" / "demo"


def _largest_export() -> bytes:
    """The 27,665-keyword list when ../shared is here, else the demo export repeated."""
    big = DATA / "sump_pump_keywords_27665.csv"
    if big.exists():
        return big.read_bytes()
    demo = next(LOCAL.glob("*.csv")).read_text().splitlines()
    rows = [f"{line.split(',')[0]} {i}" for i in range(29) for line in demo[1:]]
    return ("Keyword\n" + "\n".join(rows)).encode()


def bench_parse(data: bytes) -> float:
    """Parse the largest export. Goal: < 2 s."""
    from igny8.services.keyword_import import parse_keyword_file

    started = time.perf_counter()
    parse_keyword_file(data, max_rows=100_000, max_keyword_length=200)
    return time.perf_counter() - started


def bench_import(data: bytes) -> float:
    """Parse and insert the largest export into a fresh SQLite site. Goal: < 10 s."""
    import flask_migrate

    from igny8 import create_app
    from igny8.services.accounts import create_account, create_site
    from igny8.services.keyword_import import parse_keyword_file
    from igny8.services.keywords import add_keywords

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.db", "INSTANCE_PATH": tmp,
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            flask_migrate.upgrade()
            user = create_account("Bench", "bench@example.com", "bench-password")
            site = create_site(user.account_id, "Bench")
            started = time.perf_counter()
            parsed = parse_keyword_file(data, max_rows=100_000, max_keyword_length=200)
            result = add_keywords(site, parsed.rows)
            elapsed = time.perf_counter() - started
            assert result.created == len({r.keyword.lower() for r in parsed.rows})
    return elapsed


def main() -> int:
    """Print each benchmark; exit 1 when one misses its goal."""
    data = _largest_export()
    failed = False
    for name, fn, goal in (("parse largest export", bench_parse, 2.0), ("import largest export", bench_import, 10.0)):
        seconds = fn(data)
        ok = seconds < goal
        failed |= not ok
        print(f"{name:<28} {seconds:7.3f} s  (goal < {goal:.0f} s)  {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
