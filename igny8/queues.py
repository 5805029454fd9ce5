"""Queue names, declared once: the web enqueues and the worker listens by these names."""

from __future__ import annotations

from rq import Queue

from igny8.extensions import redis_connection

AUTOMATION = "automation"  # pipeline runs: long jobs
PERIODIC = "periodic"  # schedule and recovery checks: short jobs
DEFAULT = "default"

# A worker drains them in this order.
ALL = (PERIODIC, AUTOMATION, DEFAULT)


def get_queue(name: str = DEFAULT, connection=None) -> Queue:
    """The RQ queue ``name`` on the configured Redis."""
    return Queue(name, connection=connection or redis_connection())
