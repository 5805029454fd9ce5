"""The RQ worker process: every queue, each job in a forked work horse."""

from __future__ import annotations

from rq import Queue, Worker

from igny8 import queues
from igny8.extensions import redis_connection


class AppWorker(Worker):
    """A worker whose work horses start with fresh database connections."""

    def main_work_horse(self, job, queue):
        """Dispose the inherited connection pool in the child before the job runs."""
        from igny8.extensions import db

        db.engine.dispose(close=False)
        return super().main_work_horse(job, queue)


def run_worker(burst: bool = False, name: str | None = None) -> None:
    """Listen on every queue (in priority order) until stopped."""
    connection = redis_connection()
    worker = AppWorker(
        [Queue(n, connection=connection) for n in queues.ALL], connection=connection, name=name
    )
    _on_start()
    worker.work(burst=burst, with_scheduler=False)


def _on_start() -> None:
    """Hooks run once when a worker starts (e.g. recovering runs whose worker died)."""
    from igny8.periodic import on_worker_start

    on_worker_start()
