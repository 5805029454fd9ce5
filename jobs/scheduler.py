"""The scheduler process: register periodic jobs idempotently, then run rq-scheduler."""

from __future__ import annotations

from rq_scheduler import Scheduler

from igny8 import queues
from igny8.extensions import redis_connection
from igny8.periodic import register_periodic_jobs


def run_scheduler(interval: int = 10) -> None:
    """Runs until stopped; restarting it never duplicates a registration."""
    scheduler = Scheduler(queue_name=queues.PERIODIC, connection=redis_connection(), interval=interval)
    register_periodic_jobs(scheduler)
    scheduler.run()
