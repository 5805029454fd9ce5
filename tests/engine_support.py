"""Helpers for engine tests: real RQ worker subprocesses and polling the database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker_env(app_config: dict, **extra) -> dict:
    """The environment a worker process needs to reach the test's database and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "OPENAI_"))}
    env.update(
        DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=app_config["REDIS_URL"],
        IGNY8_INSTANCE_PATH=app_config["INSTANCE_PATH"], MEDIA_FOLDER=app_config["MEDIA_FOLDER"],
        SECRET_KEY=app_config["SECRET_KEY"], RATELIMIT_ENABLED="0", PYTHONPATH=str(ROOT),
        IMAGE_SIZE=app_config.get("IMAGE_SIZE", "256x256"),
        AUTOMATION_LEASE_SECONDS=str(app_config.get("AUTOMATION_LEASE_SECONDS", 45)),
        AUTOMATION_HEARTBEAT_SECONDS=str(app_config.get("AUTOMATION_HEARTBEAT_SECONDS", 10)),
    )
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "RUNWARE_API_KEY", "RUNWARE_BASE_URL"):
        if app_config.get(name):
            env[name] = app_config[name]
    env.update({k: str(v) for k, v in extra.items()})
    return env


class WorkerProcess:
    """``flask --app app worker`` in its own process group (so SIGKILL takes the work horse too)."""

    def __init__(self, app_config: dict, burst: bool = False, name: str | None = None, log_dir: Path | None = None):
        args = [sys.executable, "-m", "flask", "--app", "app", "worker"]
        if burst:
            args.append("--burst")
        if name:
            args += ["--name", name]
        folder = log_dir or Path(app_config["INSTANCE_PATH"])
        self.log_path = folder / f"worker-{name or 'w'}-{time.time_ns()}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=worker_env(app_config), stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, timeout: float = 120) -> int:
        """Wait for a burst worker to finish its queue."""
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        """SIGKILL the worker and its work horse, as a machine crash would.

        RQ puts each work horse in a session of its own (setsid), so killing the worker's
        process group would leave the horse working: kill the horse by its parent pid first.
        """
        for pid in [self.proc.pid, *children(self.proc.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(10)
        self._log.close()

    def stop(self) -> None:
        """Stop gracefully if still running (test teardown)."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGINT)  # RQ's warm shutdown
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self._log.closed:
            self._log.close()

    def output(self) -> str:
        """What the worker printed (for assertion messages)."""
        return self.log_path.read_text()[-4000:]


def children(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_for(predicate, timeout: float = 60, interval: float = 0.2, message: str = "condition"):
    """Poll ``predicate`` until truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")
