"""The scheduler process: register periodic jobs idempotently, then run rq-scheduler."""

from __future__ import annotations

import warnings

from rq_scheduler import Scheduler

from igny8 import queues
from igny8.extensions import redis_connection
from igny8.periodic import register_periodic_jobs


def run_scheduler(interval: int = 10) -> None:
    """Runs until stopped; restarting it never duplicates a registration."""
    # rq-scheduler calls crontab without default_utc and crontab warns on every tick; we
    # register with use_local_timezone=False, so the UTC behaviour is the one we want.
    warnings.filterwarnings("ignore", category=FutureWarning, module="rq_scheduler")
    scheduler = Scheduler(queue_name=queues.PERIODIC, connection=redis_connection(), interval=interval)
    register_periodic_jobs(scheduler)
    scheduler.run()
