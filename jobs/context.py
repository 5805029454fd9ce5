"""The app context every job runs in, built once per worker process."""

from __future__ import annotations

import contextlib
import os

_app = None
_pid = None


def get_app():
    """The worker's Flask app (created on first use)."""
    global _app
    if _app is None:
        from igny8 import create_app

        _app = create_app()
    return _app


@contextlib.contextmanager
def app_context():
    """Push an app context; after a fork, drop pooled DB connections the parent opened."""
    global _pid
    app = get_app()
    with app.app_context():
        if _pid != os.getpid():
            from igny8.extensions import db

            # Sockets inherited across fork must not be shared with the parent.
            db.engine.dispose(close=False)
            _pid = os.getpid()
        yield app
