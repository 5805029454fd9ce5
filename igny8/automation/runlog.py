"""The per-run activity log, stored in the database so every process can read it."""

from __future__ import annotations

import logging

from sqlalchemy import insert, select

from igny8.extensions import db
from igny8.models import RunLogLine
from igny8.models.base import utcnow

logger = logging.getLogger("igny8.automation")
MAX_TAIL = 1000


def write(run_pk: int, message: str, stage: int | None = None, level: str = "info") -> None:
    """Append one line in its own transaction on its own connection.

    A separate connection keeps a log line from riding along with (or being rolled back
    with) the item transaction the caller may have open.
    """
    with db.engine.begin() as conn:
        conn.execute(insert(RunLogLine).values(
            run_id=run_pk, stage=stage, level=level, message=message[:4000], created_at=utcnow()
        ))
    logger.log(logging.WARNING if level == "warning" else logging.ERROR if level == "error" else logging.INFO,
               "run %s stage %s: %s", run_pk, stage, message)


def format_line(line: RunLogLine) -> str:
    """``2026-11-29T01:02:03Z [stage 2] INFO message``."""
    stamp = line.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    stage = f"[stage {line.stage}] " if line.stage else ""
    return f"{stamp} {stage}{line.level.upper()} {line.message}"


def tail(run_pk: int, lines: int = 100) -> list[str]:
    """The last ``lines`` lines, oldest first."""
    rows = db.session.scalars(
        select(RunLogLine).where(RunLogLine.run_id == run_pk).order_by(RunLogLine.id.desc()).limit(lines)
    ).all()
    return [format_line(r) for r in reversed(rows)]
