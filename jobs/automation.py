"""RQ entry points of the engine: take ids, build the app context, call ``igny8.automation``."""

from __future__ import annotations

from jobs.context import app_context


def run_automation_task(run_pk: int) -> str:
    """Work a run from its current stage (a manual or scheduled start)."""
    with app_context():
        from igny8.automation.runner import execute_run

        return execute_run(run_pk)


def resume_automation_task(run_pk: int) -> str:
    """Continue a run from its checkpoint (after resume, or after its worker died)."""
    return run_automation_task(run_pk)


def check_scheduled_automations() -> dict:
    """The hourly schedule check."""
    with app_context():
        from igny8.automation.schedule import check_scheduled_automations as check

        return check()


def recover_stale_runs() -> list[str]:
    """The every-minute crash-recovery check."""
    with app_context():
        from igny8.automation.recovery import recover_stale_runs as recover

        return recover()
