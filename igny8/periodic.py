"""Periodic jobs as data, registered with rq-scheduler idempotently (the Redash pattern).

Each definition gets a stable id derived from its content, so re-registering at every
scheduler start is a no-op, and a definition removed from the list is cancelled.
"""

from __future__ import annotations

import hashlib
import json

from werkzeug.utils import import_string

from igny8 import queues

PERIODIC_JOBS: list[dict] = [
    {"func": "jobs.automation.check_scheduled_automations", "cron_string": "0 * * * *",
     "description": "Start scheduled automation runs that are due"},
    {"func": "jobs.automation.recover_stale_runs", "cron_string": "* * * * *",
     "description": "Re-enqueue runs whose worker died"},
]

# Dotted paths of functions a worker calls once when it starts (in its app context).
WORKER_START_HOOKS: list[str] = ["igny8.automation.recovery.recover_stale_runs"]


def job_id(definition: dict) -> str:
    """A stable id: the same definition always maps to the same scheduled job."""
    digest = hashlib.sha1(json.dumps(definition, sort_keys=True).encode()).hexdigest()
    return f"periodic-{digest[:16]}"  # rq accepts letters, digits, "_" and "-" only


def register_periodic_jobs(scheduler, definitions: list[dict] | None = None) -> list[str]:
    """Make the scheduler hold exactly ``definitions``; returns their job ids."""
    definitions = PERIODIC_JOBS if definitions is None else definitions
    wanted = {job_id(d): d for d in definitions}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.cancel(job)
    scheduled = {job.id for job in scheduler.get_jobs()}
    for jid, d in wanted.items():
        if jid in scheduled:
            continue
        scheduler.cron(
            d["cron_string"], func=d["func"], id=jid, queue_name=queues.PERIODIC,
            description=d.get("description"), use_local_timezone=False, timeout=d.get("timeout", 300),
        )
    return list(wanted)


def on_worker_start() -> None:
    """Run the start-up hooks once when a worker starts (the engine adds crash recovery)."""
    for path in WORKER_START_HOOKS:
        import_string(path)()
