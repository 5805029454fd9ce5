"""Browser fixtures: the test app served by werkzeug on a free port, driven by Debian's Chromium.

Playwright's own browser download does not work on these machines, so the tests launch
``/usr/bin/chromium``; where it is missing they are skipped with the reason printed.

Screenshots of the key screens go to ``test-artifacts/screens/`` at the project root (and the
test's ``tmp_path``), so a person can look at what the browser saw after any run.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"


def _skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    reason = _skip_reason()
    if reason:
        print(f"\nSKIPPED browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def app_config(app_config):
    """Short polling intervals, so a test sees the cards refresh within a second or two."""
    return {**app_config, "WEB_POLL_ACTIVE_SECONDS": 1, "WEB_POLL_IDLE_SECONDS": 2}


@pytest.fixture
def live_server(app):
    """The test app on 127.0.0.1:<free port>, served from a thread; yields its base URL."""
    from werkzeug.serving import make_server

    # One access-log line per poll would bury a failure's output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (own cookies) and page; console errors are collected."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda msg: pg.console_errors.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
    yield pg
    context.close()


@pytest.fixture
def shoot(page, tmp_path):
    """``shoot(name, full_page=False)``: a screenshot into ``test-artifacts/screens/`` and ``tmp_path``."""
    SCREENS.mkdir(parents=True, exist_ok=True)

    def _shoot(name: str, full_page: bool = False) -> Path:
        """Save the page as ``name`` (a ``.png`` file name) in both places."""
        target = SCREENS / name
        page.screenshot(path=str(target), full_page=full_page)
        (tmp_path / name).write_bytes(target.read_bytes())
        return target

    return _shoot


@pytest.fixture
def run_worker(app):
    """``run_worker(site_id)``: work the site's active run to its end on a thread, as a worker process would.

    The run is driven by ``execute_run`` inside an app context of the served app, so the page can
    only learn of its progress by polling. The threads are joined when the test ends.
    """
    from igny8.automation import runner, service

    threads: list[threading.Thread] = []

    def _start(site_id: int) -> threading.Thread:
        def _work():
            """Claim and work the run inside an app context of the served app."""
            with app.app_context():
                run = service.active_run(site_id)
                runner.execute_run(run.id, "browser-test-thread")

        thread = threading.Thread(target=_work, name="run-worker", daemon=True)
        thread.start()
        threads.append(thread)
        return thread

    yield _start
    for thread in threads:
        thread.join(60)


@pytest.fixture
def slow_stage(monkeypatch):
    """``slow_stage(number, seconds)``: stretch each batch of a stage so the page can be seen mid-run."""
    from igny8.automation.stages import STAGES

    def _slow(number: int, seconds: float = 1.5) -> None:
        stage = STAGES[number]
        original = stage.process_batch

        def slow(batch, ctx):
            """The original batch, a little later."""
            time.sleep(seconds)
            return original(batch, ctx)

        monkeypatch.setattr(stage, "process_batch", slow)

    return _slow
